/* seen.h — where each account last left the chat: the room and that
 * room's last sequence number then, for "what you missed" at its next
 * log-in (history_replay.c).
 *
 * Kept in the state directory as DIR/seen/NAME (acctfile.h: replaced
 * whole and atomically), one line "ROOM SEQ\n", ROOM being the room
 * log's key (lower case).  A leave is noted in memory and written a
 * little later (seen_flush, from the loop's pass: at most
 * SEEN_WRITES_PER_PASS files, SEEN_FLUSH_MS apart), so a burst of
 * log-outs (a natterd restart ending many sessions) never holds the
 * loop for many fsyncs in one pass; a lookup sees the notes not yet
 * written.  At most SEEN_PENDING_MAX notes wait: past that the oldest
 * is written at once.  Those still waiting are written at close.  A
 * broker killed with notes waiting loses them: those people get the
 * plain replay at their next log-in. */
#ifndef NATTER_BROKER_SEEN_H
#define NATTER_BROKER_SEEN_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

#define SEEN_SUB "seen"
#define SEEN_PENDING_MAX 64
#define SEEN_WRITES_PER_PASS 8
#define SEEN_FLUSH_MS 200
#define SEEN_MISSED_MAX 100 /* lines of "what you missed" at most */
#define SEEN_FILE_MAX 64    /* "ROOM SEQ\n": 32 + 1 + 20 + 1 bytes */

struct seen_note {
	char name[NAME_LEN_MAX + 1]; /* lower case */
	char room[ROOM_LEN_MAX + 1]; /* the log's key */
	uint64_t seq;
};

struct seen {
	struct seen_note pend[SEEN_PENDING_MAX]; /* oldest first */
	size_t n;
	long long due;               /* io_now_ms of the next write */
};

/* name (valid) left room (its log's key) when seq was its last
 * sequence number.  dir: the state directory. */
void seen_note(struct seen *s, const char *dir, const char *name,
	       const char *room, uint64_t seq, long long now);
/* Where name last left: 1 with room (ROOM_LEN_MAX + 1 bytes) and *seq
 * set, or 0 when it is not known (no file, a bad one: logged). */
int seen_lookup(const struct seen *s, const char *dir, const char *name,
		char *room, uint64_t *seq);
/* "ROOM SEQ\n" in buf (len bytes, any): 0 with room (ROOM_LEN_MAX + 1
 * bytes) and *seq set, or -1 for anything else. */
int seen_parse(const char *buf, size_t len, char *room, uint64_t *seq);
/* Writes what is due (all of it when `all`).  Returns io_now_ms of the
 * next write, or -1 when nothing waits. */
long long seen_flush(struct seen *s, const char *dir, long long now, int all);

#endif
