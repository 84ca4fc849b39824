/* history_int.h — between history.c (lines) and history_replay.c
 * (entering, /history, leaving). */
#ifndef NATTER_BROKER_HISTORY_INT_H
#define NATTER_BROKER_HISTORY_INT_H

#include "history.h"
#include "names.h"
#include "store/store.h"

enum hist_what { H_LINE, H_ENTER, H_SHOW, H_LEAVE };

/* A request to the store, waiting for its completion. */
struct hist_req {
	struct hist_req *next;
	uint64_t token;
	enum hist_what what;
	enum hist_how how;           /* H_ENTER */
	struct chatter *c;           /* NULL once gone */
	uint64_t line_no;            /* H_LINE: the sender's number;
					H_ENTER: SINCE, or where an
					account last left (missed) */
	int missed;                  /* H_ENTER: what c missed (seen.h) */
	size_t n;                    /* H_ENTER, H_SHOW: lines to show */
	char room[ROOM_LEN_MAX + 1]; /* H_ENTER, H_LEAVE: its spelling */
	char name[NAME_LEN_MAX + 1]; /* H_LEAVE: who left */
};

/* The log's name of a room: lower case, so "Lobby" is the lobby's
 * log on any file system. */
void hist_room_key(char *key, const char *room);
/* A new record for c (may be NULL), not yet queued; NULL when memory
 * ran out. */
struct hist_req *hist_req_new(struct chat *ch, enum hist_what what,
			      struct chatter *c);
/* Puts q at the end of the queue (after the store took its request). */
void hist_req_link(struct chat *ch, struct hist_req *q);
/* Encodes e as a LINE frame to room into ch->frame: its length, or 0
 * for an entry that is no line (a kind this version does not show). */
int hist_line_frame(struct chat *ch, const struct store_entry *e,
		    const char *room, uint8_t flags);
/* Completions: a line's append (to the room but its sender, the
 * transcript, the sender's ACK); any other request (history_replay.c). */
void hist_line_done(struct chat *ch, struct hist_req *q,
		    const struct store_result *r);
void hist_complete(struct chat *ch, struct hist_req *q,
		   const struct store_result *r);

#endif
