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
 * writers and log rotation (rename, then SIGHUP) are safe.
 *
 * A line is written whole or not at all, as far as POSIX allows: a
 * write cut short (disk full, a file size limit) is cut back off the
 * file with ftruncate(2).  Two cases leave the fragment: another writer
 * appended after it (cutting would take that line too; the fragment
 * then runs into it), and a cut that fails (the next line then begins
 * with a newline, so the fragment stands on a line of its own and no
 * later line is spoiled).  The first failure is logged, then lines are
 * dropped quietly until a write succeeds, which logs how many were
 * lost. */
#ifndef NATTER_BROKER_TRANSCRIPT_H
#define NATTER_BROKER_TRANSCRIPT_H

#include <time.h>

#define TRANSCRIPT_RETRY_S 1 /* a failed reopen is tried again this often */

struct transcript {
	const char *path;    /* NULL: no transcript */
	int fd;
	int failing;         /* a write failed and was logged; quiet until ok */
	int torn;            /* a fragment ends the file: start with '\n' */
	unsigned long lost;  /* lines dropped while failing */
	long long retry_at;  /* 0, or when to try a failed reopen again:
			      * monotonic ms (io.h), so a clock set back
			      * does not put it off */
	time_t stamp_time;
	char stamp[32];      /* the timestamp text for stamp_time */
};

/* path may be NULL.  Returns 0, or -1 with the reason logged. */
int transcript_open(struct transcript *t, const char *path);
/* Opens the path again (after a rename by logrotate) and then closes
 * the old file.  If the path cannot be opened, lines go on to the old
 * file (rotated or not, nothing is lost), the reason is logged, and the
 * open is tried again, quietly, before a line at most every
 * TRANSCRIPT_RETRY_S seconds, until it works (logged) or the next
 * reopen.  Returns 0, or -1 when the old file stays. */
int transcript_reopen(struct transcript *t);
void transcript_close(struct transcript *t);
/* Writes "STAMP ROOM " then the formatted rest and a newline, in one
 * write(2).  A line longer than 8 KiB is cut. */
void transcript_line(struct transcript *t, const char *room,
		     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
