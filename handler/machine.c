/* machine.c — machine mode's event lines (machine.h). */
#include "machine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

size_t machine_escape(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;
	if (size == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i], e = c == '\\' ? '\\' : c == '\t' ? 't' :
				    c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
		size_t need = e ? 2 : 1;
		if (o + need + 1 > size)
			break;
		if (e) {
			out[o++] = '\\';
			out[o++] = e;
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return o;
}

/* Cleans (text.h) and escapes a field onto out at *o, then sep. */
static void field(char *out, size_t size, size_t *o, const char *s,
		  size_t len, char sep)
{
	static char clean[TEXT_CLEAN_MAX(FRAME_TEXT_MAX)];
	if (len > FRAME_TEXT_MAX)
		len = FRAME_TEXT_MAX;
	size_t n = s && len ? text_clean(s, len, clean, sizeof clean) : 0;
	if (*o + 2 > size)
		return;
	*o += machine_escape(clean, n, out + *o, size - *o - 1);
	out[(*o)++] = sep;
}

size_t machine_format(struct machine *m, const char *when, const char *kind,
		      const char *room, size_t roomlen, const char *name,
		      size_t namelen, const char *text, size_t textlen,
		      char *out, size_t size)
{
	char now[32];
	if (!when) {
		time_t t = time(NULL);
		struct tm tm;
		if (!gmtime_r(&t, &tm) ||
		    !strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(now, sizeof now, "?");
		when = now;
	}
	int n = snprintf(out, size, "%s\t%llu\t%s\t", when, ++m->id, kind);
	if (n < 0 || (size_t)n >= size)
		return 0;
	size_t o = (size_t)n;
	field(out, size, &o, room, roomlen, '\t');
	field(out, size, &o, name, namelen, '\t');
	field(out, size, &o, text, textlen, '\n');
	return o;
}

static int is_self(const struct frame *f, const char *self)
{
	return self && strlen(self) == f->alen &&
	       memcmp(self, f->a, f->alen) == 0;
}

/* The kind of f, or NULL for a frame that shows nothing. */
static const char *kind_of(const struct frame *f, const char *self)
{
	switch (f->type) {
	case FRAME_MSG: return is_self(f, self) ? NULL : "say";
	case FRAME_ACTION: return is_self(f, self) ? NULL : "me";
	case FRAME_PRIVATE: return "msg";
	case FRAME_STORED: return "stored";
	case FRAME_OK: return f->textlen ? "sent" : NULL;
	case FRAME_JOINED: return is_self(f, self) ? NULL : "join";
	case FRAME_LEFT:
		return is_self(f, self) ? NULL : f->textlen ? "move" : "leave";
	case FRAME_INFO: return "notice";
	case FRAME_ERR: return "error";
	case FRAME_KICK: return "kick";
	default: return NULL;
	}
}

/* Whether s (len bytes) looks like 2026-05-01T10:00:00Z and fits. */
static int time_like(const char *s, size_t len, size_t size)
{
	if (len == 0 || len >= size)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!memchr("0123456789-:TZ", s[i], 14))
			return 0;
	return 1;
}

size_t machine_frame(struct machine *m, const struct frame *f,
		     const char *self, char *out, size_t size)
{
	const char *kind = kind_of(f, self);
	char when[32];
	if (!kind)
		return 0;
	const char *at = NULL;
	if (f->type == FRAME_STORED && time_like(f->b, f->blen, sizeof when)) {
		/* Its b is the time it was left, in the same form. */
		frame_field(when, sizeof when, f->b, f->blen);
		at = when;
	}
	int roomed = f->type == FRAME_MSG || f->type == FRAME_ACTION ||
		     f->type == FRAME_JOINED || f->type == FRAME_LEFT;
	return machine_format(m, at, kind, roomed ? f->b : NULL,
			      roomed ? f->blen : 0, f->a, f->alen, f->text,
			      f->textlen, out, size);
}
