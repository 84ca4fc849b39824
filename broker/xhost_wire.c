/* xhost_wire.c — presence entries read from Redis, checked
 * (xhost_wire.h). */
#include "xhost_wire.h"

#include "frame.h"
#include "names.h"
#include "natter-protocol.h"

#include <ctype.h>
#include <string.h>

static const char *const kinds[] = { "join", "here", "move", "leave",
				     "reset", "dead", "away" };

const char *xwire_kind(enum xev_kind k)
{
	return kinds[k];
}

int xwire_word(const char *const *words, size_t n, const struct xstr *w)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(words[i]) == w->len &&
		    memcmp(words[i], w->s, w->len) == 0)
			return (int)i;
	return -1;
}

int xwire_clean(const char *s, size_t len, int tab_ok)
{
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && !(tab_ok && s[i] == '\t')) ||
		    s[i] == 0x7f)
			return 0;
	return 1;
}

static int clean(const char *s, size_t len)
{
	return xwire_clean(s, len, 0);
}

int xwire_host_ok(const char *s, size_t len)
{
	if (len < 1 || len > XHOST_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-')
			return 0;
	return 1;
}

int xwire_fields(const struct resp_value *f, const char *want,
		 const char *tabs, size_t max, struct xstr *out,
		 const char **why)
{
	size_t nwant = strlen(want);
	unsigned seen = 0;
	if (f->type != RESP_ARRAY || f->n % 2 || f->n > 2 * XWIRE_FIELDS_MAX) {
		*why = "not an array of field pairs";
		return -1;
	}
	for (size_t i = 0; i < f->n; i += 2) {
		const struct resp_value *k = &f->elem[i], *v = &f->elem[i + 1];
		if (k->type != RESP_BULK || v->type != RESP_BULK) {
			*why = "a field that is not a string";
			return -1;
		}
		const char *p = k->len == 1 && k->str[0] ?
				memchr(want, k->str[0], nwant) : NULL;
		if (!p)
			continue; /* a later version's field */
		unsigned bit = 1u << (p - want);
		int tab_ok = strchr(tabs, *p) != NULL;
		if (seen & bit || (max && v->len > max) ||
		    !xwire_clean(v->str, v->len, tab_ok)) {
			*why = seen & bit ? "a field twice" :
			       max && v->len > max ? "a field too long" :
			       "a control byte in a field";
			return -1;
		}
		seen |= bit;
		out[p - want] = (struct xstr){ v->str, v->len };
	}
	if (seen != (1u << nwant) - 1) {
		*why = "a field missing";
		return -1;
	}
	return 0;
}

/* The optional one-letter field key of f (pairs of strings, checked)
 * into out (empty when absent): 0, or -1 when it comes twice or holds
 * a control byte. */
static int field_opt(const struct resp_value *f, char key, struct xstr *out,
		     const char **why)
{
	int seen = 0;
	*out = (struct xstr){ "", 0 };
	for (size_t i = 0; i < f->n; i += 2) {
		const struct resp_value *k = &f->elem[i], *v = &f->elem[i + 1];
		if (k->len != 1 || k->str[0] != key)
			continue;
		if (seen++ || !clean(v->str, v->len)) {
			*why = seen > 1 ? "a field twice" :
			       "a control byte in a field";
			return -1;
		}
		*out = (struct xstr){ v->str, v->len };
	}
	return 0;
}

static int room_or_empty(const struct xstr *r)
{
	return r->len == 0 || room_valid(r->s, r->len);
}

int xwire_event(const struct resp_value *fields, struct xev *ev,
		const char **why)
{
	struct xstr v[5];
	if (xwire_fields(fields, "hknro", "", 0, v, why) < 0 ||
	    field_opt(fields, 'a', &ev->away, why) < 0)
		return -1;
	if (ev->away.len > AWAY_TEXT_MAX) {
		*why = "an away message too long";
		return -1;
	}
	int k = xwire_word(kinds, sizeof kinds / sizeof kinds[0], &v[1]);
	if (k < 0) {
		*why = "an unknown kind of event";
		return -1;
	}
	ev->kind = (enum xev_kind)k;
	ev->host = v[0];
	ev->name = v[2];
	ev->room = v[3];
	ev->old = v[4];
	int whole = ev->kind == XEV_RESET || ev->kind == XEV_DEAD;
	if (!xwire_host_ok(ev->host.s, ev->host.len) ||
	    (whole ? ev->name.len != 0 :
	     !name_valid(ev->name.s, ev->name.len)) ||
	    !room_or_empty(&ev->room) || !room_or_empty(&ev->old)) {
		*why = "an event with a bad host, name or room";
		return -1;
	}
	return 0;
}

int xwire_msg(const struct resp_value *fields, struct xmsg *m,
	      const char **why)
{
	struct xstr v[4];
	if (xwire_fields(fields, "ftix", "", 0, v, why) < 0)
		return -1;
	m->from = v[0];
	m->to = v[1];
	m->id = v[2];
	m->text = v[3];
	if (!name_valid(m->from.s, m->from.len) ||
	    !name_valid(m->to.s, m->to.len) || m->id.len > XWIRE_ID_MAX ||
	    m->text.len > FRAME_TEXT_MAX) {
		*why = "a private line with a bad name, id or length";
		return -1;
	}
	return 0;
}

int xwire_person(const struct resp_value *v, struct xstr *name,
		 struct xstr *room)
{
	const char *sp = v->type == RESP_BULK ? memchr(v->str, ' ', v->len)
					      : NULL;
	if (!sp)
		return -1;
	*name = (struct xstr){ v->str, (size_t)(sp - v->str) };
	*room = (struct xstr){ sp + 1, v->len - name->len - 1 };
	return name_valid(name->s, name->len) && room_or_empty(room) ? 0 : -1;
}

int xwire_away(const struct resp_value *k, const struct resp_value *v,
	       struct xstr *name, struct xstr *msg)
{
	if (k->type != RESP_BULK || v->type != RESP_BULK ||
	    !name_valid(k->str, k->len) || v->len == 0 ||
	    v->len > AWAY_TEXT_MAX || !clean(v->str, v->len))
		return -1;
	*name = (struct xstr){ k->str, k->len };
	*msg = (struct xstr){ v->str, v->len };
	return 0;
}
