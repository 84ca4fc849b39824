/* line.c — line ends from every kind of client, with a hard length cap. */
#include "line.h"

#include <string.h>

void line_init(struct line *l)
{
	memset(l, 0, sizeof *l);
}

/* Ends the current line: a finished line, or the end of a discarded one. */
static enum line_event line_end(struct line *l)
{
	if (l->discarding) {
		l->discarding = 0;
		l->len = 0;
		return LINE_NONE;
	}
	l->buf[l->len] = '\0';
	l->ready = 1;
	return LINE_READY;
}

enum line_event line_feed(struct line *l, unsigned char c)
{
	int after_cr = l->after_cr;
	l->after_cr = 0;
	if (l->ready) {
		l->ready = 0;
		l->len = 0;
	}
	if (after_cr && (c == '\n' || c == '\0'))
		return LINE_NONE; /* the second half of CR LF or CR NUL */
	if (c == '\r' || c == '\n') {
		l->after_cr = c == '\r';
		return line_end(l);
	}
	if (l->discarding)
		return LINE_NONE;
	if (l->len == LINE_MAX_BYTES) {
		l->discarding = 1;
		l->len = 0;
		return LINE_TOO_LONG;
	}
	l->buf[l->len++] = (char)c;
	return LINE_NONE;
}
