/* line.c — line ends from every kind of client, with a hard length cap
 * and the editing of a terminal's line discipline. */
#include "line.h"

#include <string.h>

void line_init(struct line *l)
{
	memset(l, 0, sizeof *l);
}

/* Whether the line is a yes: "y" or "yes" in any case, spaces around. */
static int is_yes(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	if (n == 0 || (s[0] != 'y' && s[0] != 'Y'))
		return 0;
	return n == 1 || (n == 3 && (s[1] == 'e' || s[1] == 'E') &&
			  (s[2] == 's' || s[2] == 'S'));
}

/* Ends the current line: a finished line, the end of a discarded one,
 * or the answer to "leave?" (a discarded answer is a no). */
static enum line_event line_end(struct line *l)
{
	if (l->asking) {
		int yes = !l->discarding && is_yes(l->buf, l->len);
		l->asking = 0;
		l->discarding = 0;
		l->len = 0;
		return yes ? LINE_LEAVE : LINE_NONE;
	}
	if (l->discarding) {
		l->discarding = 0;
		l->len = 0;
		return LINE_NONE;
	}
	l->buf[l->len] = '\0';
	l->ready = 1;
	return LINE_READY;
}

/* How many bytes the UTF-8 sequence led by c has (1 for a byte that
 * leads none). */
static size_t seq_len(unsigned char c)
{
	return c >= 0xf0 && c <= 0xf7 ? 4 : c >= 0xe0 && c <= 0xef ? 3 :
	       c >= 0xc0 && c <= 0xdf ? 2 : 1;
}

/* Erases the last character: its lead byte and the continuation bytes
 * after it, as many as it leads (a character typed only in part goes
 * the same way); a byte that is no part of such a character goes
 * alone. */
static void erase_char(struct line *l)
{
	size_t n = l->len, k = 0;
	if (l->discarding || n == 0)
		return;
	while (k < 3 && k < n &&
	       ((unsigned char)l->buf[n - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k > 0 && k < n && seq_len((unsigned char)l->buf[n - 1 - k]) > k)
		l->len = n - 1 - k;
	else
		l->len = n - 1;
}

/* The editing keys, BS and DEL. */
static enum line_event edit(struct line *l, int c)
{
	switch (c) {
	case LINE_KEY_KILL:
		l->len = 0;
		l->discarding = 0;
		return LINE_NONE;
	case LINE_KEY_INTERRUPT:
		l->len = 0;
		l->discarding = 0;
		if (l->asking) {
			l->asking = 0;
			return LINE_LEAVE;
		}
		l->asking = 1;
		l->question_due = 1;
		return LINE_INTERRUPT;
	default: /* BS, DEL, LINE_KEY_ERASE */
		erase_char(l);
		return LINE_NONE;
	}
}

enum line_event line_feed(struct line *l, int c)
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
	if (c == 0x08 || c == 0x7f || c > 0xff)
		return edit(l, c);
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

int line_question_due(struct line *l)
{
	int due = l->question_due;
	l->question_due = 0;
	return due;
}
