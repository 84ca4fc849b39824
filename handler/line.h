/* line.h — assembles the person's input bytes into lines.
 *
 * A line ends at LF, CR LF, CR NUL or a bare CR (the byte after a CR is
 * swallowed when it is LF or NUL).  A line longer than LINE_MAX bytes is
 * reported once as LINE_TOO_LONG at the byte that passes the limit, and
 * every byte up to its end is discarded: a line is never split or
 * silently cut.  Memory is fixed: bytes that never end in a line end
 * cost nothing past LINE_MAX. */
#ifndef NATTER_LINE_H
#define NATTER_LINE_H

#include <stddef.h>

#define LINE_MAX_BYTES 1024

enum line_event { LINE_NONE, LINE_READY, LINE_TOO_LONG };

struct line {
	char buf[LINE_MAX_BYTES + 1]; /* NUL-terminated when LINE_READY */
	size_t len;
	int discarding; /* past the limit: drop until the line end */
	int after_cr;   /* the previous byte was a CR that ended a line */
	int ready;      /* buf holds a finished line, cleared on next feed */
};

void line_init(struct line *l);
/* Feeds one byte.  On LINE_READY, l->buf and l->len hold the line
 * (without its end) until the next call. */
enum line_event line_feed(struct line *l, unsigned char c);

#endif
