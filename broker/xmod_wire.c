/* xmod_wire.c — moderation entries and values read from Redis, checked
 * (xmod_wire.h). */
#include "xmod_wire.h"

#include "namecmp.h"
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[] = { "ban", "unban", "mute", "unmute",
				     "kick", "topic", "takeover" };
_Static_assert(sizeof kinds / sizeof kinds[0] == XM_TAKEOVER + 1,
	       "a word for every kind");
_Static_assert(XMOD_VALUE_MAX >= XHOST_ID_MAX + 1 + XMOD_IP_MAX,
	       "a takeover's value fits");
_Static_assert(XMOD_VALUE_MAX >= BAN_BY_MAX + 1 + MOD_TOPIC_MAX,
	       "a topic's value fits");

const char *xmodwire_kind(enum xmod_kind k)
{
	return kinds[k];
}

/* The fields h, k, t, v once each into out[0..3] (a TAB only in v);
 * -1 with *why, which says it was a moderation entry. */
static int fields_get(const struct resp_value *f, struct xstr *out,
		      const char **why)
{
	static char said[96];
	const char *w;
	if (xwire_fields(f, "hktv", "v", XMOD_VALUE_MAX, out, &w) == 0)
		return 0;
	snprintf(said, sizeof said, "a moderation entry: %s", w);
	*why = said;
	return -1;
}

int xmodwire_entry(const struct resp_value *fields, struct xmod_entry *e,
		   const char **why)
{
	struct xstr v[4];
	if (fields_get(fields, v, why) < 0)
		return -1;
	int k = xwire_word(kinds, sizeof kinds / sizeof kinds[0], &v[1]);
	if (k < 0) {
		*why = "an unknown kind of moderation entry";
		return -1;
	}
	if (!xwire_host_ok(v[0].s, v[0].len) || v[2].len == 0 ||
	    v[2].len >= XMOD_KEY_MAX) {
		*why = "a moderation entry with a bad host or target";
		return -1;
	}
	e->kind = (enum xmod_kind)k;
	e->host = v[0];
	e->target = v[2];
	e->value = v[3];
	return 0;
}

size_t xmodwire_ban_key(const struct ban *b, char *buf)
{
	ban_target_text(b, buf, XMOD_KEY_MAX);
	if (b->kind == BAN_NAME)
		for (char *p = buf; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return strlen(buf);
}

int xmodwire_ban(const struct xstr *key, const struct xstr *line,
		 struct ban *b)
{
	char mine[XMOD_KEY_MAX];
	if (ban_parse(line->s, line->len, b) != 0)
		return -1;
	size_t n = xmodwire_ban_key(b, mine);
	return n == key->len && memcmp(mine, key->s, n) == 0 ? 0 : -1;
}

/* A field up to the next TAB (or the end when last) of at most max
 * bytes, into out (max + 1); -1 when there is none or it is longer. */
static int part(const char **p, const char *end, size_t max, char *out,
		int last)
{
	const char *tab = memchr(*p, '\t', (size_t)(end - *p));
	const char *stop = last ? end : tab;
	if (!stop || (last && tab) || (size_t)(stop - *p) > max)
		return -1;
	memcpy(out, *p, (size_t)(stop - *p));
	out[stop - *p] = '\0';
	*p = last ? end : stop + 1;
	return 0;
}

/* A name in lower case (a person's key): copied into out, or -1. */
static int lower_name(const struct xstr *s, char *out)
{
	if (!name_valid(s->s, s->len))
		return -1;
	for (size_t i = 0; i < s->len; i++) {
		if (isupper((unsigned char)s->s[i]))
			return -1;
		out[i] = s->s[i];
	}
	out[s->len] = '\0';
	return 0;
}

int xmodwire_mute(const struct xstr *name, const struct xstr *value,
		  struct xmute *m)
{
	const char *p = value->s, *end = value->s + value->len;
	char until[13];
	long long secs, u = 0;
	if (lower_name(name, m->name) != 0 || part(&p, end, 12, until, 0) ||
	    part(&p, end, BAN_BY_MAX, m->by, 0) ||
	    part(&p, end, XMOD_DUR_MAX, m->dur, 1) || !until[0] ||
	    !name_valid(m->by, strlen(m->by)) ||
	    (m->dur[0] && ban_duration(m->dur, strlen(m->dur), &secs) != 0))
		return -1;
	for (const char *d = until; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		u = u * 10 + (*d - '0');
	}
	m->until = u;
	return 0;
}

size_t xmodwire_mute_value(const struct xmute *m, char *buf)
{
	int n = snprintf(buf, XMOD_VALUE_MAX, "%lld\t%s\t%s", m->until, m->by,
			 m->dur);
	return n < 0 ? 0 : (size_t)n; /* fits: 12 + 16 + 15 + 2 bytes */
}

int xmodwire_kick(const struct xstr *name, const struct xstr *value,
		  struct xkick *k)
{
	const char *p = value->s, *end = value->s + value->len;
	if (lower_name(name, k->name) != 0 ||
	    part(&p, end, BAN_BY_MAX, k->by, 0) ||
	    part(&p, end, BAN_REASON_MAX, k->reason, 1) ||
	    !name_valid(k->by, strlen(k->by)))
		return -1;
	return 0;
}

int xmodwire_by(const struct xstr *value, char *by)
{
	if (value->len > BAN_BY_MAX || !name_valid(value->s, value->len))
		return -1;
	memcpy(by, value->s, value->len);
	by[value->len] = '\0';
	return 0;
}

int xmodwire_topic(const struct xstr *room, const struct xstr *value,
		   struct xtopic *t)
{
	const char *p = value->s, *end = value->s + value->len;
	if (!room_valid(room->s, room->len) ||
	    !xwire_clean(value->s, value->len, 1) ||
	    part(&p, end, BAN_BY_MAX, t->by, 0) ||
	    part(&p, end, MOD_TOPIC_MAX, t->text, 1) ||
	    !name_valid(t->by, strlen(t->by)))
		return -1;
	for (size_t i = 0; i < room->len; i++) {
		if (isupper((unsigned char)room->s[i]))
			return -1;
		t->room[i] = room->s[i];
	}
	t->room[room->len] = '\0';
	return 0;
}

size_t xmodwire_topic_value(const struct xtopic *t, char *buf)
{
	int n = snprintf(buf, XMOD_VALUE_MAX, "%s\t%s", t->by, t->text);
	return n < 0 ? 0 : (size_t)n; /* fits: asserted above */
}

int xmodwire_ip_ok(const char *s)
{
	size_t n = strlen(s);
	return strcmp(s, "?") == 0 ||
	       (n > 0 && strspn(s, "0123456789abcdefABCDEF.:") == n);
}

int xmodwire_take(const struct xstr *name, const struct xstr *value,
		  struct xtake *t)
{
	const char *p = value->s, *end = value->s + value->len;
	if (lower_name(name, t->name) != 0 ||
	    part(&p, end, XHOST_ID_MAX, t->host, 0) ||
	    part(&p, end, XMOD_IP_MAX, t->ip, 1) ||
	    !xwire_host_ok(t->host, strlen(t->host)) || !xmodwire_ip_ok(t->ip))
		return -1;
	return 0;
}

size_t xmodwire_take_value(const struct xtake *t, char *buf)
{
	int n = snprintf(buf, XMOD_VALUE_MAX, "%s\t%s", t->host, t->ip);
	return n < 0 ? 0 : (size_t)n; /* fits: asserted above */
}
