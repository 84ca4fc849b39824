/* moderation.c — mutes, topics and the files' text (moderation.h). */
#include "moderation.h"
#include "namecmp.h"

#include <stdio.h>
#include <string.h>

void mod_rate_add(struct mod_rate *r, long long now)
{
	size_t i = (size_t)((unsigned long long)now % MOD_RATE_SECONDS);
	if (r->second[i] != now) {
		r->second[i] = now;
		r->count[i] = 0;
	}
	r->count[i]++;
}

unsigned long long mod_rate_sum(const struct mod_rate *r, long long now)
{
	unsigned long long n = 0;
	for (size_t i = 0; i < MOD_RATE_SECONDS; i++)
		if (r->count[i] && r->second[i] <= now &&
		    now - r->second[i] < MOD_RATE_SECONDS)
			n += r->count[i];
	return n;
}

static const char *const refusal_names[MOD_REFUSALS] = {
	"name_in_use", "banned", "invalid_name", "invalid_room", "protocol",
	"out_of_memory", "other"
};

enum mod_refusal mod_refusal_of(const char *why)
{
	static const char *const logged[] = {
		"name in use", "banned", "invalid name", "invalid room",
		"protocol", "out of memory"
	};
	for (size_t i = 0; i < sizeof logged / sizeof logged[0]; i++)
		if (strncmp(why, logged[i], strlen(logged[i])) == 0)
			return (enum mod_refusal)i;
	return MOD_REFUSED_OTHER;
}

const char *mod_refusal_name(enum mod_refusal r)
{
	return r < MOD_REFUSALS ? refusal_names[r] : "other";
}

static int same(const char *a, const char *b)
{
	return name_same(a, strlen(a), b, strlen(b));
}

static struct mod_mute *find_mute(struct moderation *m, const char *name)
{
	for (size_t i = 0; i < m->nmutes; i++)
		if (same(m->mutes[i].name, name))
			return &m->mutes[i];
	return NULL;
}

/* Drops the mutes over at now, to make room. */
static void mutes_expire(struct moderation *m, long long now)
{
	for (size_t i = 0; i < m->nmutes;) {
		if (m->mutes[i].until && m->mutes[i].until <= now)
			m->mutes[i] = m->mutes[--m->nmutes];
		else
			i++;
	}
}

int mod_mute(struct moderation *m, const char *name, long long until)
{
	struct mod_mute *mu = find_mute(m, name);
	if (!mu) {
		if (m->nmutes == MOD_MUTES_MAX && until)
			mutes_expire(m, until); /* anything over by then */
		if (m->nmutes == MOD_MUTES_MAX)
			return -1;
		mu = &m->mutes[m->nmutes++];
		snprintf(mu->name, sizeof mu->name, "%s", name);
	}
	mu->until = until;
	return 0;
}

int mod_unmute(struct moderation *m, const char *name)
{
	struct mod_mute *mu = find_mute(m, name);
	if (!mu)
		return 0;
	*mu = m->mutes[--m->nmutes];
	return 1;
}

const struct mod_mute *mod_muted(const struct moderation *m,
				 const char *name, long long now)
{
	for (size_t i = 0; i < m->nmutes; i++) {
		const struct mod_mute *mu = &m->mutes[i];
		if (same(mu->name, name) && (!mu->until || mu->until > now))
			return mu;
	}
	return NULL;
}

static struct mod_topic *find_topic(struct moderation *m, const char *room)
{
	for (size_t i = 0; i < m->ntopics; i++)
		if (same(m->topics[i].room, room))
			return &m->topics[i];
	return NULL;
}

const struct mod_topic *mod_topic(const struct moderation *m,
				  const char *room)
{
	return find_topic((struct moderation *)(void *)m, room);
}

int mod_topic_set(struct moderation *m, const char *room, const char *by,
		  const char *text, size_t len)
{
	struct mod_topic *t = find_topic(m, room);
	if (len == 0) {
		if (t)
			*t = m->topics[--m->ntopics];
		return 0;
	}
	if (!t) {
		if (m->ntopics == MOD_TOPICS_MAX)
			return -1;
		t = &m->topics[m->ntopics++];
	}
	if (len > MOD_TOPIC_MAX)
		len = MOD_TOPIC_MAX;
	snprintf(t->room, sizeof t->room, "%s", room);
	snprintf(t->by, sizeof t->by, "%s", by);
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	return 0;
}

size_t mod_bans_text(struct moderation *m, long long now, char *buf,
		     size_t size)
{
	size_t len = 0;
	banlist_expire(&m->bans, now);
	for (size_t i = 0; i < m->bans.n && size - len > BAN_LINE_MAX; i++)
		len += ban_format(&m->bans.v[i], buf + len, size - len);
	return len;
}

size_t mod_topics_text(const struct moderation *m, char *buf, size_t size)
{
	size_t len = 0;
	for (size_t i = 0; i < m->ntopics && size - len > MOD_TOPIC_LINE_MAX;
	     i++) {
		const struct mod_topic *t = &m->topics[i];
		int n = snprintf(buf + len, size - len, "%s\t%s\t%s\n",
				 t->room, t->by, t->text);
		if (n > 0 && (size_t)n < size - len)
			len += (size_t)n;
	}
	return len;
}

/* "room TAB by TAB text", no control bytes: 0 and set, or -1. */
static int topic_line(struct moderation *m, const char *s, size_t len)
{
	const char *t1 = memchr(s, '\t', len), *t2;
	if (len >= MOD_TOPIC_LINE_MAX || !t1)
		return -1;
	t2 = memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - s));
	if (!t2)
		return -1;
	size_t rlen = (size_t)(t1 - s), blen = (size_t)(t2 - t1 - 1);
	size_t tlen = len - (size_t)(t2 + 1 - s);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return -1;
	if (!room_valid(s, rlen) || !name_valid(t1 + 1, blen) || tlen == 0 ||
	    tlen > MOD_TOPIC_MAX || memchr(t2 + 1, '\t', tlen))
		return -1;
	char room[ROOM_LEN_MAX + 1], by[BAN_BY_MAX + 1];
	snprintf(room, sizeof room, "%.*s", (int)rlen, s);
	snprintf(by, sizeof by, "%.*s", (int)blen, t1 + 1);
	return mod_topic_set(m, room, by, t2 + 1, tlen);
}

size_t mod_topics_parse(struct moderation *m, const char *text, size_t len)
{
	size_t skipped = 0, at = 0;
	m->ntopics = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t llen = nl ? (size_t)(nl - (text + at)) : len - at;
		if (!nl || topic_line(m, text + at, llen) != 0)
			skipped++;
		at += llen + 1;
	}
	return skipped;
}
