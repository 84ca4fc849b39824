/* ledit_draw.c — the line drawn on one row, scrolled sideways.
 *
 * Never writing the row's last column keeps every terminal from
 * wrapping, so redrawing is always "carriage return, draw, erase to the
 * end of the row" and messages can be printed above it safely. */
#include "ledit.h"
#include "cutf8.h"

#include <stdio.h>
#include <string.h>

/* Columns of the character at pos. */
static size_t char_cols(const struct ledit *e, size_t pos, int masked)
{
	if (masked)
		return 1;
	size_t next = cutf8_next(e->buf, e->len, pos);
	return cutf8_columns(e->buf + pos, next - pos);
}

static size_t cols_between(const struct ledit *e, size_t from, size_t to,
			   int masked)
{
	size_t cols = 0;
	for (size_t i = from; i < to; i = cutf8_next(e->buf, e->len, i))
		cols += char_cols(e, i, masked);
	return cols;
}

/* Keeps the cursor within avail columns of the window's start. */
static void scroll_to_cursor(struct ledit *e, size_t avail, int masked)
{
	if (cols_between(e, 0, e->cur, masked) <= avail) {
		e->scroll = 0;
		return;
	}
	if (e->cur < e->scroll || e->scroll > e->len)
		e->scroll = e->cur;
	while (e->scroll < e->cur &&
	       cols_between(e, e->scroll, e->cur, masked) > avail)
		e->scroll = cutf8_next(e->buf, e->len, e->scroll);
}

/* Where the part of the prompt that fits in max columns starts. */
static size_t prompt_start(const char *prompt, size_t plen, size_t max)
{
	size_t start = 0;
	while (start < plen && cutf8_columns(prompt + start, plen - start) > max)
		start = cutf8_next(prompt, plen, start);
	return start;
}

size_t ledit_render(struct ledit *e, const char *prompt, size_t plen,
		    int width, int masked, char *out)
{
	size_t w = width < 10 ? 10 : (size_t)width;
	size_t ps = prompt_start(prompt, plen, w / 2);
	size_t pcols = cutf8_columns(prompt + ps, plen - ps);
	size_t avail = w - 1 - pcols;
	size_t n = 0;

	out[n++] = '\r';
	memcpy(out + n, prompt + ps, plen - ps);
	n += plen - ps;
	scroll_to_cursor(e, avail, masked);
	size_t drawn = 0, cursor_col = pcols;
	for (size_t i = e->scroll; i < e->len;) {
		size_t c = char_cols(e, i, masked);
		size_t next = cutf8_next(e->buf, e->len, i);
		if (drawn + c > avail)
			break;
		if (i < e->cur)
			cursor_col += c;
		if (masked) {
			out[n++] = '*';
		} else {
			memcpy(out + n, e->buf + i, next - i);
			n += next - i;
		}
		drawn += c;
		i = next;
	}
	memcpy(out + n, "\033[K\r", 4);
	n += 4;
	if (cursor_col > 0)
		n += (size_t)snprintf(out + n, 16, "\033[%zuC", cursor_col);
	return n;
}
