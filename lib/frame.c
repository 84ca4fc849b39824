/* frame.c — encoder and validating decoder for broker frames. */
#include "frame.h"
#include "xferproto.h"

#include <string.h>

int frame_encode(char *out, uint8_t type, uint8_t flags,
		 const char *a, size_t alen, const char *b, size_t blen,
		 const char *text, size_t textlen)
{
	if (alen > FRAME_FIELD_MAX || blen > FRAME_FIELD_MAX ||
	    textlen > FRAME_TEXT_MAX)
		return -1;
	size_t payload = 2 + alen + blen + textlen;
	char *p = out;
	*p++ = (char)(payload >> 8);
	*p++ = (char)(payload & 0xff);
	*p++ = (char)type;
	*p++ = (char)flags;
	*p++ = (char)alen;
	if (alen)
		memcpy(p, a, alen);
	p += alen;
	*p++ = (char)blen;
	if (blen)
		memcpy(p, b, blen);
	p += blen;
	if (textlen)
		memcpy(p, text, textlen);
	p += textlen;
	return (int)(p - out);
}

int frame_encode_str(char *out, uint8_t type, uint8_t flags,
		     const char *a, const char *b, const char *text)
{
	return frame_encode(out, type, flags, a, a ? strlen(a) : 0,
			    b, b ? strlen(b) : 0, text, text ? strlen(text) : 0);
}

/* Control bytes (C0 and DEL) never travel inside a frame: what reaches a
 * terminal must have been sanitised before it was framed. */
static int clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* The shape of each type: the bounds of a, b and the text (a maximum
 * of 0 means the field must be empty), the flags it may carry, and
 * which fields are numbers (decimal digits only: LINE_NO, SEQ, N).
 * Content (is a name valid?) is for the receiver to judge; this is the
 * frame's structure, checked before anything uses it. */
struct shape {
	uint8_t known, amin, amax, bmin, bmax;
	uint16_t textmax;
	uint8_t flags;
	uint8_t digits;         /* DA, DB, DT: that field is decimal digits */
};
#define DA 1
#define DB 2
#define DT 4

#define F FRAME_FIELD_MAX
#define T FRAME_TEXT_MAX
#define V FRAME_VERSION_MASK
#define N LINE_NO_MAX
static const struct shape shapes[FRAME_TO_HANDLER_END] = {
	[FRAME_LOGIN] = { 1, 0, F, 0, F, 2 * F, FRAME_REJOIN |
			  FRAME_ACCOUNT | FRAME_OPERATOR | V, 0 },
	[FRAME_SAY] = { 1, 1, N, 0, 0, SAY_TEXT_MAX, 0, DA },
	[FRAME_ME] = { 1, 1, N, 0, 0, SAY_TEXT_MAX, 0, DA },
	[FRAME_PRIV] = { 1, 1, F, 1, N, T, FRAME_TO_ACCOUNT, DB },
	[FRAME_JOIN] = { 1, 0, 0, 1, F, N, 0, DT },
	[FRAME_WHO] = { 1, 0, 0, 0, 0, 0, 0, 0 },
	[FRAME_ROOMS] = { 1, 0, 0, 0, 0, 0, 0, 0 },
	[FRAME_HISTORY] = { 1, 0, 0, 0, 0, N, 0, DT },
	[FRAME_AWAY] = { 1, 0, 0, 0, 0, AWAY_TEXT_MAX, 0, 0 },
	[FRAME_IGNORE] = { 1, 0, F, 0, 0, 0, 0, 0 },
	[FRAME_UNIGNORE] = { 1, 1, F, 0, 0, 0, 0, 0 },
	[FRAME_MOD] = { 1, 1, 16, 0, F, T, 0, 0 },
	[FRAME_CTL] = { 1, 1, F, 0, 0, 0, V, 0 },
	[FRAME_FILECAP] = { 1, 0, 0, 0, 0, 0, 0, 0 },
	[FRAME_OFFER] = { 1, 1, F, 1, N, FNAME_MAX, 0, DB },
	[FRAME_FILEOP] = { 1, 1, 16, 0, N, 0, 0, DB },
	[FRAME_XFER] = { 1, 3, 3, XFER_TOKEN_LEN, XFER_TOKEN_LEN, 0, 0, 0 },
	[FRAME_OK] = { 1, 0, F, 0, F, T, FRAME_LAST | FRAME_MARKS_LAST | V, 0 },
	[FRAME_ERR] = { 1, 0, 0, 0, 0, T, FRAME_LAST | FRAME_FATAL | V, 0 },
	[FRAME_MSG] = { 1, 1, F, 1, F, T, 0, 0 },
	[FRAME_ACTION] = { 1, 1, F, 1, F, T, 0, 0 },
	[FRAME_PRIVATE] = { 1, 1, F, 0, F, T, 0, 0 },
	[FRAME_JOINED] = { 1, 1, F, 1, F, F, 0, 0 },
	[FRAME_LEFT] = { 1, 1, F, 1, F, F, 0, 0 },
	[FRAME_INFO] = { 1, 0, 0, 0, 0, T, FRAME_LAST, 0 },
	[FRAME_KICK] = { 1, 0, 0, 0, 0, T, 0, 0 },
	[FRAME_LINE] = { 1, 1, F, 1, F, T, FRAME_REPLAY | FRAME_LAST, 0 },
	[FRAME_ACK] = { 1, 1, N, 0, 0, N, 0, DA | DT },
	[FRAME_LIVE] = { 1, 0, 0, 1, F, N, FRAME_LAST, DT },
	[FRAME_STORED] = { 1, 1, F, 1, F, T, 0, 0 },
	[FRAME_KICKED] = { 1, 1, F, 1, F, T, 0, 0 },
	[FRAME_WALL] = { 1, 1, F, 0, 0, T, 0, 0 },
	[FRAME_TOPIC] = { 1, 1, F, 1, F, T, 0, 0 },
	[FRAME_OFFERED] = { 1, 1, F, 1, N, N + 1 + FNAME_MAX, 0, DB },
	[FRAME_FILENOTE] = { 1, 1, 16, 0, N, T, 0, DB },
};
#undef F
#undef T
#undef V
#undef N

/* NULL for a type the protocol does not know. */
static const struct shape *shape_of(uint8_t t)
{
	return t < FRAME_TO_HANDLER_END && shapes[t].known ? &shapes[t]
							   : NULL;
}

static int digits(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

int frame_shape_ok(const struct frame *f)
{
	const struct shape *s = shape_of(f->type);
	return s && f->alen >= s->amin && f->alen <= s->amax &&
	       f->blen >= s->bmin && f->blen <= s->bmax &&
	       f->textlen <= s->textmax && (f->flags & ~s->flags) == 0 &&
	       (!(s->digits & DA) || digits(f->a, f->alen)) &&
	       (!(s->digits & DB) || digits(f->b, f->blen)) &&
	       (!(s->digits & DT) || digits(f->text, f->textlen));
}

int frame_decode(const char *buf, size_t len, struct frame *f)
{
	if (len < FRAME_HDR)
		return FRAME_NEED_MORE;
	const unsigned char *u = (const unsigned char *)buf;
	size_t payload = (size_t)u[0] << 8 | u[1];
	if (payload > FRAME_PAYLOAD_MAX || payload < 2 || !shape_of(u[2]))
		return FRAME_BAD;
	if (len < FRAME_HDR + payload)
		return FRAME_NEED_MORE;
	f->type = u[2];
	f->flags = u[3];
	const unsigned char *p = u + FRAME_HDR, *end = p + payload;
	f->alen = *p++;
	if (f->alen > FRAME_FIELD_MAX || (size_t)(end - p) < f->alen + 1)
		return FRAME_BAD;
	f->a = (const char *)p;
	p += f->alen;
	f->blen = *p++;
	if (f->blen > FRAME_FIELD_MAX || (size_t)(end - p) < f->blen)
		return FRAME_BAD;
	f->b = (const char *)p;
	p += f->blen;
	f->text = (const char *)p;
	f->textlen = (size_t)(end - p);
	if (f->textlen > FRAME_TEXT_MAX || !clean(f->a, f->alen) ||
	    !clean(f->b, f->blen) || !clean(f->text, f->textlen))
		return FRAME_BAD;
	return (int)(FRAME_HDR + payload);
}

void frame_field(char *dst, size_t dstsize, const char *src, size_t len)
{
	if (dstsize == 0)
		return;
	if (len >= dstsize)
		len = dstsize - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}
