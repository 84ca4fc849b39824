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

/* The topics' merge's arguments: 8, then 3 a topic of the file (the
 * first merge) and 3 a change kept. */
#define XTOPIC_ARGS (8 + 3 * (MOD_TOPICS_MAX + XMOD_DIRTY_MAX))
_Static_assert(XTOPIC_ARGS <= RESP_ARGS_MAX, "the topics' merge fits");

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
	/* room topics (xtopic.c) */
	char k_topics[XHOST_KEY_MAX];
	int merged;            /* the merge is answered since UP */
	int tout;              /* the topics' merge waits for its answer */
	int tshared;           /* the topics file was offered */
	size_t tsent;
	struct xtopic tdirty[XMOD_DIRTY_MAX]; /* set or cleared ("") here
						 while Redis was away */
	size_t ntdirty;
	const char *targv[XTOPIC_ARGS];
	size_t tlens[XTOPIC_ARGS];
	struct xtopic tfile[MOD_TOPICS_MAX];
	char tvals[MOD_TOPICS_MAX + XMOD_DIRTY_MAX][XMOD_VALUE_MAX];
};

/* The merge, sent (at UP, or again after a change when the last one
 * could not be sent or changes were made while it was on its way). */
void xmod_merge_send(struct xhost *xh);
/* One change (op set, del or none) to hash as one script with its
 * entry: 0, or -1 when it could not be sent now. */
int xmod_change_send(struct xhost *xh, const char *hash, const char *op,
		     const char *kind, const char *key, const char *value);
/* Both merges answered: PREFIXmod is read from there on. */
void xmod_go(struct xhost *xh);

/* xtopic.c: the topics' merge, sent after the moderation merge (at
 * UP); an entry of another host acted on. */
void xtopic_merge_send(struct xhost *xh);
void xtopic_act(struct chat *ch, const struct xtopic *t);

#endif
