/* xmod_int.h — between xmod.c (the changes made here, sent) and
 * xmod_read.c (the merge at UP, the entries of other hosts acted on):
 * moderation across hosts (xmod.h). */
#ifndef NATTER_BROKER_XMOD_INT_H
#define NATTER_BROKER_XMOD_INT_H

#include "xmod.h"
#include "xmod_wire.h"
#include "xhost_int.h"

#define XMOD_KEEP 1000        /* MAXLEN ~ of PREFIXmod */
#define XMOD_DIRTY_MAX 64     /* changes kept while Redis is away */
/* The merge's arguments: 12, then 3 a change and 3 a ban shared. */
#define XMOD_ARGS (12 + 3 * (XMOD_DIRTY_MAX + BANS_MAX))
_Static_assert(XMOD_ARGS <= RESP_ARGS_MAX, "the merge fits one command");

/* A change made here not yet in Redis. */
struct xdirty {
	int mute;                      /* PREFIXmutes, else PREFIXbans */
	int set;                       /* HSET value, else HDEL (value BY) */
	char key[XMOD_KEY_MAX];
	char value[XMOD_VALUE_MAX];
};

struct xmod {
	char k_mod[XHOST_KEY_MAX], k_bans[XHOST_KEY_MAX],
	    k_mutes[XHOST_KEY_MAX], k_init[XHOST_KEY_MAX];
	struct stream_id last;
	int ready;             /* merged: PREFIXmod is read from last */
	int out;               /* a merge waits for its answer */
	int shared_file;       /* the bans file was offered (first merge) */
	size_t sent;           /* changes in that merge */
	struct xdirty dirty[XMOD_DIRTY_MAX];
	size_t ndirty;
	struct banlist tmp;    /* the merge's bans, then this host's */
	const char *argv[XMOD_ARGS];
	size_t lens[XMOD_ARGS];
	char lines[BANS_MAX][XMOD_KEY_MAX + BAN_LINE_MAX];
};

/* The merge, sent (at UP, or again after a change when the last one
 * could not be sent or changes were made while it was on its way). */
void xmod_merge_send(struct xhost *xh);

#endif
