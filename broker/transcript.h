/* transcript.h — the -L file: public lines, joins and leaves, one per
 * line with a UTC timestamp:
 *
 *   2026-11-22T20:30:00Z lobby [ann] : hi
 *   2026-11-22T20:30:05Z lobby * ann waves
 *   2026-11-22T20:30:09Z lobby [bob] has joined the chat
 *   2026-11-22T20:31:00Z lobby [bob] has moved to room x
 *   2026-11-22T20:32:00Z x [bob] has left the chat
 *
 * Private messages are never written.  Opened O_APPEND, so several
 * writers and log rotation (rename, then SIGHUP) are safe. */
#ifndef NATTER_BROKER_TRANSCRIPT_H
#define NATTER_BROKER_TRANSCRIPT_H

#include <time.h>

struct transcript {
	const char *path; /* NULL: no transcript */
	int fd;
	int failing;      /* a write failed and was logged; quiet until ok */
	time_t stamp_time;
	char stamp[32];   /* the timestamp text for stamp_time */
};

/* path may be NULL.  Returns 0, or -1 with the reason logged. */
int transcript_open(struct transcript *t, const char *path);
/* Closes and opens the file again (after a rename by logrotate). */
void transcript_reopen(struct transcript *t);
void transcript_close(struct transcript *t);
/* Writes "STAMP ROOM " then the formatted rest and a newline, in one
 * write(2).  A line longer than 8 KiB is cut. */
void transcript_line(struct transcript *t, const char *room,
		     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int transcript_on(const struct transcript *t)
{
	return t->fd >= 0;
}

#endif
