/* machine.h — machine mode (natter-session -m, or "/mode machine" as
 * the first line): what the person's program reads is one event per
 * line, LF-terminated, six fields separated by tabs:
 *
 *   TIME TAB ID TAB KIND TAB ROOM TAB NAME TAB TEXT LF
 *
 * TIME  the server's time, UTC, "2026-05-01T10:00:00Z" (for "stored",
 *       when the message was left)
 * ID    the event's number in this session, from 1
 * KIND  say, me, msg (a private message to you), stored (one left for
 *       you while you were away), sent (your private message, as
 *       delivered), join, leave, move (TEXT: the new room), login
 *       (ROOM: your room, NAME: your name), mode, notice, error, kick
 * ROOM, NAME, TEXT  possibly empty
 *
 * Every field is cleaned as any text is (text.h) and then escaped:
 * a backslash as \\, a tab as \t, a line feed as \n, a carriage return
 * as \r, so a field can never hold a separator: splitting a line on
 * tabs always gives six fields.  Pure functions, no I/O. */
#ifndef NATTER_MACHINE_H
#define NATTER_MACHINE_H

#include <stddef.h>

#include "frame.h"
#include "text.h"

/* Room for any event line: the cleaned fields, each escaped (at most
 * twice as long), the time, the id and the kind. */
#define MACHINE_LINE_MAX (2 * TEXT_LINE_MAX + 96)

struct machine {
	unsigned long long id; /* the last event's number */
};

/* Escapes in (len bytes) into out (size bytes, NUL-terminated); stops
 * before an escape that would not fit.  Returns the length. */
size_t machine_escape(const char *in, size_t len, char *out, size_t size);
/* One event line into out (MACHINE_LINE_MAX bytes).  when: NULL for
 * now.  Returns its length. */
size_t machine_format(struct machine *m, const char *when, const char *kind,
		      const char *room, size_t roomlen, const char *name,
		      size_t namelen, const char *text, size_t textlen,
		      char *out, size_t size);
/* A frame from the broker as an event (self's own public lines, joins
 * and leaves are not shown, as to a person); 0 when nothing shows. */
size_t machine_frame(struct machine *m, const struct frame *f,
		     const char *self, char *out, size_t size);

#endif
