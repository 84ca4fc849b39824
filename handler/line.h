/* line.h — the line discipline: assembles the person's input bytes
 * into lines, with the editing a terminal's own would do for a client
 * that sends each key as it is typed (character mode).
 *
 * A line ends at LF, CR LF, CR NUL or a bare CR (the byte after a CR is
 * swallowed when it is LF or NUL).  A line longer than LINE_MAX_BYTES
 * is reported once as LINE_TOO_LONG at the byte that passes the limit,
 * and every byte up to its end is discarded: a line is never split or
 * silently cut.  Memory is fixed: bytes that never end in a line end
 * cost nothing past LINE_MAX_BYTES.
 *
 * Editing.  BS (0x08), DEL (0x7f) and telnet's EC (LINE_KEY_ERASE)
 * erase the last character of the line: a whole UTF-8 character (a
 * lead byte and up to three continuation bytes), or what there is of
 * one not finished, or else one byte.  Telnet's EL (LINE_KEY_KILL)
 * erases the whole line, a too-long one included.  Telnet's IP
 * (LINE_KEY_INTERRUPT, what ^C sends) discards the line and asks: it
 * returns LINE_INTERRUPT and sets the question due (line_question_due);
 * the next line is the answer: "y" or "yes" (any case) returns
 * LINE_LEAVE, anything else nothing (the line is dropped).  A second IP
 * before the answer also returns LINE_LEAVE. */
#ifndef NATTER_LINE_H
#define NATTER_LINE_H

#include <stddef.h>

#define LINE_MAX_BYTES 1024

/* What line_feed takes besides data bytes 0-255: the editing keys. */
#define LINE_KEY_ERASE 0x100     /* erase a character */
#define LINE_KEY_KILL 0x101      /* erase the line */
#define LINE_KEY_INTERRUPT 0x102 /* ^C */

enum line_event {
	LINE_NONE,
	LINE_READY,     /* a line is in buf */
	LINE_TOO_LONG,  /* the line passed LINE_MAX_BYTES: discarded */
	LINE_INTERRUPT, /* ^C: the line is gone, the question is due */
	LINE_LEAVE,     /* the person answered yes (or ^C again) */
};

struct line {
	char buf[LINE_MAX_BYTES + 1]; /* NUL-terminated when LINE_READY */
	size_t len;
	int discarding; /* past the limit: drop until the line end */
	int after_cr;   /* the previous byte was a CR that ended a line */
	int ready;      /* buf holds a finished line, cleared on next feed */
	int asking;     /* ^C came: the next line answers "leave?" */
	int question_due; /* ^C came and the question is not yet shown */
};

void line_init(struct line *l);
/* Feeds one byte (0-255) or key (LINE_KEY_*).  On LINE_READY, l->buf
 * and l->len hold the line (without its end) until the next call. */
enum line_event line_feed(struct line *l, int c);
/* 1 once after a ^C: time to ask "leave?".  Kept apart from the
 * LINE_INTERRUPT event so the caller can ask after answering what came
 * with the ^C (telnet's DO TIMING-MARK, before which a telnet client
 * throws away what it receives). */
int line_question_due(struct line *l);

#endif
