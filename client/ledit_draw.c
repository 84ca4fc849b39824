/* ledit_draw.c — the line drawn on one row, scrolled sideways.
 *
 * Never writing the row's last column keeps every terminal from
 * wrapping, so redrawing is always "carriage return, draw, erase to the
 * end of the row" and messages can be printed above it safely.  Each
 * step is linear in the line's length: a redraw follows every key. */
#include "ledit.h"
#include "cutf8.h"

#include <stdio.h>
#include <string.h>

/* Columns of the character (with its marks) at pos. */
static size_t char_cols(const struct ledit *e, size_t pos)
{
	size_t next = cutf8_next_cluster(e->buf, e->len, pos);
	return cutf8_columns(e->buf + pos, next - pos);
}

/* Keeps the cursor within avail columns of the window's start. */
static void scroll_to_cursor(struct ledit *e, size_t avail)
{
	size_t cols = cutf8_columns(e->buf, e->cur);
	if (cols <= avail) {
		e->scroll = 0;
		return;
	}
	if (e->cur < e->scroll || e->scroll > e->len)
		e->scroll = e->cur;
	cols = cutf8_columns(e->buf + e->scroll, e->cur - e->scroll);
	while (e->scroll < e->cur && cols > avail) {
		cols -= char_cols(e, e->scroll);
		e->scroll = cutf8_next_cluster(e->buf, e->len, e->scroll);
	}
}

/* Where the part of the prompt that fits in max columns starts. */
static size_t prompt_start(const char *prompt, size_t plen, size_t max)
{
	size_t start = 0, cols = cutf8_columns(prompt, plen);
	while (start < plen && cols > max) {
		size_t next = cutf8_next_cluster(prompt, plen, start);
		cols -= cutf8_columns(prompt + start, next - start);
		start = next;
	}
	return start;
}

/* The visible part of the line; returns the bytes stored in out and
 * the cursor's column (from the line's start) in *cursor_col. */
static size_t draw_line(struct ledit *e, size_t avail, char *out,
			size_t *cursor_col)
{
	size_t n = 0, drawn = 0;
	scroll_to_cursor(e, avail);
	*cursor_col = 0;
	for (size_t i = e->scroll; i < e->len;) {
		size_t c = char_cols(e, i);
		size_t next = cutf8_next_cluster(e->buf, e->len, i);
		if (drawn + c > avail)
			break;
		if (i < e->cur)
			*cursor_col += c;
		memcpy(out + n, e->buf + i, next - i);
		n += next - i;
		drawn += c;
		i = next;
	}
	return n;
}

size_t ledit_render(struct ledit *e, const char *prompt, size_t plen,
		    int width, int masked, char *out)
{
	/* Never the last column (it would wrap): a 1-column terminal shows
	 * nothing, one under 10 columns the line without its prompt. */
	if (width < 2) {
		memcpy(out, "\r\033[K", 4);
		return 4;
	}
	size_t w = (size_t)width;
	size_t ps = w < 10 ? plen : prompt_start(prompt, plen, w / 2);
	size_t pcols = cutf8_columns(prompt + ps, plen - ps);
	size_t n = 0, col = 0;

	out[n++] = '\r';
	memcpy(out + n, prompt + ps, plen - ps);
	n += plen - ps;
	/* Masked, nothing of the line shows, not even its length. */
	if (!masked)
		n += draw_line(e, w - 1 - pcols, out + n, &col);
	col += pcols;
	memcpy(out + n, "\033[K\r", 4);
	n += 4;
	if (col > 0)
		n += (size_t)snprintf(out + n, 16, "\033[%zuC", col);
	return n;
}
