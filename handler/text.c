/* text.c — sanitising untrusted text and formatting what people see. */
#include "text.h"
#include "unicode.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when
 * the sequence is invalid; *bad is then set to how many bytes form the
 * longest invalid prefix (at least 1), so each is replaced once. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;
	*bad = 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*bad = i + 1;
	}
	return need + 1;
}

/* The code point of the valid n-byte sequence at s. */
static uint32_t utf8_cp(const unsigned char *s, size_t n)
{
	uint32_t cp = n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3fu);
	return cp;
}

/* Whether the character cp, followed by the rest bytes, may be shown
 * (unicode.h says what may not).  A zero-width joiner is kept only
 * between two emoji (a family, a profession, a flag with a rainbow):
 * *in_emoji says an emoji came last, maybe with its modifiers, and
 * *with is set to the length of the emoji after it, which must fit in
 * the output with it (a joiner never ends a cut line). */
static int keep_char(uint32_t cp, int *in_emoji, const unsigned char *rest,
		     size_t restlen, size_t *with)
{
	size_t bad, m;
	*with = 0;
	if (cp == UNICODE_ZWJ) {
		m = restlen ? utf8_seq(rest, restlen, &bad) : 0;
		if (!*in_emoji || m == 0 || !unicode_emoji(utf8_cp(rest, m)))
			return 0;
		*with = m;
		return 1;
	}
	if (unicode_invisible(cp)) {
		*in_emoji = 0;
		return 0;
	}
	if (!unicode_emoji_modifier(cp))
		*in_emoji = unicode_emoji(cp);
	return 1;
}

/* Appends len bytes if they fit (leaving room for the NUL). */
static int put(char *out, size_t outsize, size_t *o, const void *p,
	       size_t len)
{
	if (*o + len + 1 > outsize)
		return 0;
	memcpy(out + *o, p, len);
	*o += len;
	return 1;
}

/* How many bytes from s (n available) are printable ASCII, which is
 * most of any chat line and is copied as it is, in one piece. */
static size_t ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	return i;
}

size_t text_clean(const char *in, size_t inlen, char *out, size_t outsize)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, bad;
	int in_emoji = 0;
	if (outsize == 0)
		return 0;
	while (i < inlen) {
		size_t run = ascii_run(s + i, inlen - i);
		if (run > 0) {
			size_t room = outsize - 1 - o; /* o < outsize always */
			size_t n = run < room ? run : room;
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			in_emoji = 0;
			if (n < run)
				break; /* full: as many bytes as fit, as before */
			continue;
		}
		unsigned char c = s[i];
		int ok = 1;
		if (c < 0x80) {
			in_emoji = 0;
			if (c == '\t')
				ok = put(out, outsize, &o, " ", 1);
			else if (c >= 0x20 && c != 0x7f)
				ok = put(out, outsize, &o, s + i, 1);
			i++;
		} else {
			size_t n = utf8_seq(s + i, inlen - i, &bad);
			if (n == 0) {
				ok = put(out, outsize, &o, "\xef\xbf\xbd", 3);
				i += bad;
				in_emoji = 0;
			} else {
				size_t with;
				if (keep_char(utf8_cp(s + i, n), &in_emoji,
					      s + i + n, inlen - i - n, &with))
					ok = o + n + with < outsize &&
					     put(out, outsize, &o, s + i, n);
				i += n;
			}
		}
		if (!ok)
			break;
	}
	out[o] = '\0';
	return o;
}

/* A line being built: pieces appended in turn, each field cleaned.
 * size keeps two bytes of the buffer back, so CR LF always fits after
 * whatever was built: nothing (least of all half a character) is cut. */
struct builder {
	char *out;
	size_t size, len;
};

static struct builder builder_for(char *out, size_t outsize)
{
	struct builder b = { out, outsize >= 3 ? outsize - 2 : 0, 0 };
	return b;
}

static void add(struct builder *b, const char *s)
{
	put(b->out, b->size, &b->len, s, strlen(s));
}

static void add_clean(struct builder *b, const char *s, size_t n)
{
	if (b->len < b->size)
		b->len += text_clean(s, n, b->out + b->len, b->size - b->len);
}

static size_t finish(struct builder *b)
{
	if (b->size == 0)
		return 0; /* a buffer under 3 bytes holds no line */
	memcpy(b->out + b->len, "\r\n", 3); /* fits: see struct builder */
	return b->len + 2;
}

/* 2026-05-01T10:00:00Z as "2026-05-01 10:00 UTC"; anything else as
 * it is, cleaned. */
static void add_stamp(struct builder *b, const char *s, size_t n)
{
	if (n == 20 && s[10] == 'T' && s[19] == 'Z') {
		add_clean(b, s, 10);
		add(b, " ");
		add_clean(b, s + 11, 5);
		add(b, " UTC");
	} else {
		add_clean(b, s, n);
	}
}

static int is_self(const struct frame *f, const char *self)
{
	return self && strlen(self) == f->alen &&
	       memcmp(self, f->a, f->alen) == 0;
}

/* The words of a LINE's text: SEQ, TIME_MS, KIND, then the text. */
struct line_parts {
	unsigned long long seq;
	long long ms;
	int me;
	const char *text;
	size_t len;
};

static int line_parts(const struct frame *f, struct line_parts *lp)
{
	const char *p = f->text, *end = f->text + f->textlen;
	unsigned long long v[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		const char *start = p;
		while (p < end && *p >= '0' && *p <= '9' && p - start < 19)
			v[k] = v[k] * 10 + (unsigned)(*p++ - '0');
		if (p == start || p == end || *p++ != ' ')
			return 0;
	}
	lp->seq = v[0];
	lp->ms = (long long)v[1];
	if (end - p >= 3 && memcmp(p, "me ", 3) == 0)
		lp->me = 1, p += 3;
	else if (end - p >= 4 && memcmp(p, "say ", 4) == 0)
		lp->me = 0, p += 4;
	else
		return 0;
	lp->text = p;
	lp->len = (size_t)(end - p);
	return 1;
}

int text_line_as_msg(const struct frame *f, struct frame *out)
{
	struct line_parts lp;
	if (f->type != FRAME_LINE || !line_parts(f, &lp))
		return 0;
	*out = *f;
	out->type = lp.me ? FRAME_ACTION : FRAME_MSG;
	out->flags = 0;
	out->text = lp.text;
	out->textlen = lp.len;
	return 1;
}

unsigned long long text_line_seq(const struct frame *f)
{
	struct line_parts lp;
	return line_parts(f, &lp) ? lp.seq : 0;
}

size_t text_when(long long ms, long long now_s, char *out, size_t outsize)
{
	time_t t = (time_t)(ms / 1000), now = (time_t)now_s;
	struct tm tm, today;
	if (!localtime_r(&t, &tm) || !localtime_r(&now, &today))
		return 0;
	int same = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
	size_t n = strftime(out, outsize, same ? "%H:%M " : "%Y-%m-%d %H:%M ",
			    &tm);
	return n;
}

/* LINE: "[ann] : hello" or "* ann waves", a replayed one after its
 * time. */
static int show_line(struct builder *b, const struct frame *f,
		     const char *self)
{
	struct line_parts lp;
	char when[40];
	int replay = (f->flags & FRAME_REPLAY) != 0;
	if (!line_parts(f, &lp) || (!replay && is_self(f, self)))
		return 0;
	if (replay && text_when(lp.ms, (long long)time(NULL), when,
				sizeof when))
		add(b, when);
	add(b, lp.me ? "* " : "[");
	add_clean(b, f->a, f->alen);
	add(b, lp.me ? " " : "] : ");
	add_clean(b, lp.text, lp.len);
	return 1;
}

size_t text_display(const struct frame *f, const char *self, char *out,
		    size_t outsize)
{
	struct builder b = builder_for(out, outsize);
	switch (f->type) {
	case FRAME_LINE:
		if (!show_line(&b, f, self))
			return 0;
		break;
	case FRAME_MSG:
	case FRAME_PRIVATE:
		if (f->type == FRAME_MSG && is_self(f, self))
			return 0;
		add(&b, "[");
		add_clean(&b, f->a, f->alen);
		add(&b, f->type == FRAME_MSG ? "] : " : "] (private) : ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_STORED: /* b: when it was left, 2026-05-01T10:00:00Z */
		add(&b, "[");
		add_clean(&b, f->a, f->alen);
		add(&b, "] (private, left ");
		add_stamp(&b, f->b, f->blen);
		add(&b, ") : ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_ACTION:
		if (is_self(f, self))
			return 0;
		add(&b, "* ");
		add_clean(&b, f->a, f->alen);
		add(&b, " ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_JOINED:
	case FRAME_LEFT:
		if (is_self(f, self))
			return 0;
		add(&b, "[");
		add_clean(&b, f->a, f->alen);
		if (f->type == FRAME_JOINED && f->textlen) {
			add(&b, "] has come in from room ");
			add_clean(&b, f->text, f->textlen);
		} else if (f->type == FRAME_JOINED) {
			add(&b, "] has joined the chat");
		} else if (f->textlen == 0) {
			add(&b, "] has left the chat");
		} else {
			add(&b, "] has moved to room ");
			add_clean(&b, f->text, f->textlen);
		}
		break;
	case FRAME_KICKED: /* "[ann] was kicked by bob: why" */
		add(&b, "[");
		add_clean(&b, f->a, f->alen);
		add(&b, "] ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_WALL:
		add(&b, "*** Announcement from ");
		add_clean(&b, f->a, f->alen);
		add(&b, ": ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_TOPIC:
		add(&b, "*** Topic of ");
		add_clean(&b, f->b, f->blen);
		add(&b, ": ");
		add_clean(&b, f->text, f->textlen);
		add(&b, " (set by ");
		add_clean(&b, f->a, f->alen);
		add(&b, ")");
		break;
	case FRAME_OK: /* with text: what the person sent privately */
		if (f->textlen == 0)
			return 0;
		add(&b, "[you -> ");
		add_clean(&b, f->a, f->alen);
		add(&b, "] (private) : ");
		add_clean(&b, f->text, f->textlen);
		break;
	case FRAME_INFO:
	case FRAME_ERR:
	case FRAME_KICK:
		add(&b, "*** ");
		add_clean(&b, f->text, f->textlen);
		break;
	default: /* anything a handler never receives */
		return 0;
	}
	return finish(&b);
}

size_t text_notice(const char *msg, char *out, size_t outsize)
{
	struct builder b = builder_for(out, outsize);
	add(&b, "*** ");
	add_clean(&b, msg, strlen(msg));
	return finish(&b);
}
