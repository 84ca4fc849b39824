/* ledit.c — editing keys and the history of sent lines. */
#include "cli.h"
#include "ledit.h"
#include "cutf8.h"

#include <stdlib.h>
#include <string.h>

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

void ledit_init(struct ledit *e)
{
	memset(e, 0, sizeof *e);
	e->hpos = -1;
}

void ledit_free(struct ledit *e)
{
	for (size_t i = 0; i < e->nhist; i++)
		free(e->hist[(e->hstart + i) % LEDIT_HISTORY]);
	e->nhist = 0;
}

const char *ledit_line(const struct ledit *e, size_t *len)
{
	*len = e->len;
	return e->buf;
}

void ledit_set(struct ledit *e, const char *text, size_t len)
{
	if (len > LEDIT_MAX)
		len = LEDIT_MAX;
	memcpy(e->buf, text, len);
	e->len = e->cur = len;
}

/* A character as a person sees it: with its combining marks. */
static size_t prev_char(const struct ledit *e)
{
	return cutf8_prev_cluster(e->buf, e->len, e->cur);
}

static size_t next_char(const struct ledit *e)
{
	return cutf8_next_cluster(e->buf, e->len, e->cur);
}

static void delete_range(struct ledit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	e->cur = from;
}

static enum ledit_action insert(struct ledit *e, const void *s, size_t n)
{
	if (e->len + n > LEDIT_MAX)
		return LEDIT_BELL;
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur);
	memcpy(e->buf + e->cur, s, n);
	e->len += n;
	e->cur += n;
	return LEDIT_REDRAW;
}

/* The newest entry is 0. */
static const char *hist_entry(const struct ledit *e, size_t i)
{
	return e->hist[(e->hstart + e->nhist - 1 - i) % LEDIT_HISTORY];
}

static void load(struct ledit *e, const char *s, size_t n)
{
	memcpy(e->buf, s, n);
	e->len = e->cur = n;
}

static enum ledit_action history_move(struct ledit *e, int older)
{
	if (e->hidden)
		return LEDIT_BELL;
	if (older) {
		if ((size_t)(e->hpos + 1) >= e->nhist)
			return LEDIT_BELL;
		if (e->hpos < 0) {
			memcpy(e->saved, e->buf, e->len);
			e->nsaved = e->len;
		}
		e->hpos++;
	} else {
		if (e->hpos < 0)
			return LEDIT_BELL;
		e->hpos--;
	}
	if (e->hpos < 0) {
		load(e, e->saved, e->nsaved);
	} else {
		const char *h = hist_entry(e, (size_t)e->hpos);
		load(e, h, strlen(h));
	}
	return LEDIT_REDRAW;
}

static void remember_line(struct ledit *e)
{
	if (e->len == 0 || memchr(e->buf, '\0', e->len))
		return;
	if (e->nhist > 0) {
		const char *last = hist_entry(e, 0);
		if (strlen(last) == e->len && !memcmp(last, e->buf, e->len))
			return;
	}
	char *copy = malloc(e->len + 1);
	if (!copy)
		return; /* history is a comfort; the line was still sent */
	memcpy(copy, e->buf, e->len);
	copy[e->len] = '\0';
	if (e->nhist == LEDIT_HISTORY) {
		free(e->hist[e->hstart]);
		e->hist[e->hstart] = copy;
		e->hstart = (e->hstart + 1) % LEDIT_HISTORY;
	} else {
		e->hist[(e->hstart + e->nhist) % LEDIT_HISTORY] = copy;
		e->nhist++;
	}
}


void ledit_accept(struct ledit *e, int remember)
{
	if (remember)
		remember_line(e);
	else
		cli_wipe(e->buf, e->len); /* a password: not left in memory */
	e->len = e->cur = e->scroll = 0;
	e->hpos = -1;
}

static size_t word_start(const struct ledit *e)
{
	size_t i = e->cur;
	while (i > 0 && e->buf[i - 1] == ' ')
		i--;
	while (i > 0 && e->buf[i - 1] != ' ')
		i--;
	return i;
}

static enum ledit_action move_to(struct ledit *e, size_t pos)
{
	if (pos == e->cur)
		return LEDIT_NONE;
	e->cur = pos;
	return LEDIT_REDRAW;
}

static enum ledit_action delete_at_cursor(struct ledit *e)
{
	if (e->cur == e->len)
		return LEDIT_BELL;
	delete_range(e, e->cur, next_char(e));
	return LEDIT_REDRAW;
}

static enum ledit_action control(struct ledit *e, unsigned char c)
{
	switch (c) {
	case 0x01: return move_to(e, 0);
	case 0x02: return move_to(e, prev_char(e));
	case 0x04:
		return e->len == 0 ? LEDIT_EOF : delete_at_cursor(e);
	case 0x05: return move_to(e, e->len);
	case 0x06: return move_to(e, next_char(e));
	case 0x08:
	case 0x7f:
		if (e->cur == 0)
			return LEDIT_BELL;
		delete_range(e, prev_char(e), e->cur);
		return LEDIT_REDRAW;
	case 0x0b:
		e->len = e->cur;
		return LEDIT_REDRAW;
	case 0x0c: return LEDIT_CLEAR;
	case 0x0e: return history_move(e, 0);
	case 0x10: return history_move(e, 1);
	case 0x15:
		delete_range(e, 0, e->cur);
		return LEDIT_REDRAW;
	case 0x17:
		delete_range(e, word_start(e), e->cur);
		return LEDIT_REDRAW;
	default:
		return LEDIT_NONE; /* other control keys do nothing */
	}
}

/* The final byte of CSI or SS3, with its numeric parameter. */
static enum ledit_action escape_final(struct ledit *e, unsigned char c)
{
	int num = atoi(e->param);
	switch (c) {
	case 'A': return history_move(e, 1);
	case 'B': return history_move(e, 0);
	case 'C': return control(e, 0x06);
	case 'D': return control(e, 0x02);
	case 'H': return control(e, 0x01);
	case 'F': return control(e, 0x05);
	case '~':
		if (num == 1 || num == 7)
			return control(e, 0x01);
		if (num == 4 || num == 8)
			return control(e, 0x05);
		if (num == 3)
			return delete_at_cursor(e);
		return LEDIT_NONE;
	default:
		return LEDIT_NONE;
	}
}

static enum ledit_action escape(struct ledit *e, unsigned char c)
{
	if (e->esc == ESC_START) {
		e->nparam = 0;
		memset(e->param, 0, sizeof e->param);
		e->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
		return LEDIT_NONE; /* ESC + other key (Alt-key): ignored */
	}
	if (e->esc == ESC_CSI && c >= 0x20 && c <= 0x3f) {
		if (e->nparam + 1 < sizeof e->param)
			e->param[e->nparam++] = (char)c;
		return LEDIT_NONE;
	}
	e->esc = ESC_NONE;
	if (c >= 0x40 && c <= 0x7e)
		return escape_final(e, c);
	return LEDIT_NONE; /* malformed: dropped */
}

/* Collects a multi-byte character; inserts it when whole. */
static enum ledit_action utf8_byte(struct ledit *e, unsigned char c)
{
	e->pend[e->npend++] = c;
	unsigned cp;
	int r = cutf8_decode(e->pend, e->npend, &cp);
	if (r == CUTF8_INCOMPLETE)
		return LEDIT_NONE;
	size_t n = e->npend;
	e->npend = 0;
	if (r == CUTF8_INVALID || cp <= 0x9f)
		return LEDIT_NONE; /* not text: dropped */
	return insert(e, e->pend, n);
}

enum ledit_action ledit_key(struct ledit *e, unsigned char c)
{
	int after_cr = e->after_cr;
	e->after_cr = 0;
	if (e->esc != ESC_NONE)
		return escape(e, c);
	if (e->npend > 0 && c < 0x80)
		e->npend = 0; /* a character cut short: dropped */
	if (c >= 0x80)
		return utf8_byte(e, c);
	if (c == '\r') {
		e->after_cr = 1;
		return LEDIT_SUBMIT;
	}
	if (c == '\n')
		return after_cr ? LEDIT_NONE : LEDIT_SUBMIT;
	if (c == 0x1b) {
		e->esc = ESC_START;
		return LEDIT_NONE;
	}
	if (c == '\t')
		c = ' '; /* pasted tabs keep their words apart */
	else if (c < 0x20 || c == 0x7f)
		return control(e, c);
	return insert(e, &c, 1);
}
