/* bans.c — bans as data (bans.h): targets, durations, matching, and
 * the bans file's lines. */
#include "bans.h"
#include "namecmp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ban_duration(const char *s, size_t len, long long *secs)
{
	long long v = 0;
	size_t i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9' && v <= BAN_DURATION_MAX)
		v = v * 10 + (s[i++] - '0');
	if (i == 0 || i + 1 != len)
		return -1;
	switch (s[i]) {
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	default: return -1;
	}
	if (v < 1 || v > BAN_DURATION_MAX)
		return -1;
	*secs = v;
	return 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) in 16 bytes. */
static int is_mapped(const unsigned char *a)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0xff, 0xff };
	return memcmp(a, prefix, sizeof prefix) == 0;
}

/* Clears the bits past prefix. */
static void mask(unsigned char *a, unsigned bytes, unsigned prefix)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		if (bit >= prefix)
			a[i] = 0;
		else if (prefix - bit < 8)
			a[i] &= (unsigned char)(0xff << (8 - (prefix - bit)));
	}
}

/* An address's text (no prefix) into family and 16 bytes (IPv4 in the
 * first 4; a mapped IPv6 address becomes IPv4).  0 or -1. */
static int parse_ip(const char *ip, int *family, unsigned char *a)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, ip, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) != 1)
		return -1;
	*family = AF_INET6;
	if (is_mapped(a)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

/* "/N" after an address: N in [0, max]; no slash: dflt. */
static int parse_prefix(const char *s, unsigned max, unsigned dflt,
			unsigned *prefix)
{
	if (!s) {
		*prefix = dflt;
		return 0;
	}
	char *end;
	if (s[0] < '0' || s[0] > '9' || strlen(s) > 3)
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*prefix = (unsigned)v;
	return 0;
}

int ban_address(const char *s, size_t len, struct ban *b)
{
	char buf[BAN_TARGET_TEXT_MAX];
	if (len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_ip(buf, &b->family, b->addr) != 0)
		return -1;
	int v4 = b->family == AF_INET;
	if (parse_prefix(slash, v4 ? 32 : 128, v4 ? 32 : 64, &b->prefix) != 0)
		return -1;
	mask(b->addr, 16, b->prefix);
	b->kind = BAN_ADDR;
	return 0;
}

int ban_target(const char *s, size_t len, struct ban *b)
{
	if (name_valid(s, len)) {
		memcpy(b->name, s, len);
		b->name[len] = '\0';
		b->kind = BAN_NAME;
		return 0;
	}
	return ban_address(s, len, b);
}

void ban_target_text(const struct ban *b, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	if (b->kind == BAN_NAME) {
		snprintf(buf, size, "%s", b->name);
		return;
	}
	if (!inet_ntop(b->family, b->addr, ip, sizeof ip))
		snprintf(ip, sizeof ip, "?");
	snprintf(buf, size, "%s/%u", ip, b->prefix);
}

int ban_same_target(const struct ban *b, const struct ban *t)
{
	if (b->kind != t->kind)
		return 0;
	if (b->kind == BAN_NAME)
		return name_same(b->name, strlen(b->name), t->name,
				 strlen(t->name));
	return b->family == t->family && b->prefix == t->prefix &&
	       memcmp(b->addr, t->addr, 16) == 0;
}

int ban_active(const struct ban *b, long long now)
{
	return b->until == 0 || b->until > now;
}

static int addr_in(const struct ban *b, int family, const unsigned char *a)
{
	unsigned char m[16];
	if (b->kind != BAN_ADDR || b->family != family)
		return 0;
	memcpy(m, a, 16);
	mask(m, 16, b->prefix);
	return memcmp(m, b->addr, 16) == 0;
}

int ban_covers(const struct ban *b, const char *name, const char *ip)
{
	unsigned char a[16];
	int family;
	if (b->kind == BAN_NAME)
		return name_same(b->name, strlen(b->name), name, strlen(name));
	return parse_ip(ip, &family, a) == 0 && addr_in(b, family, a);
}

static const struct ban *find_addr(const struct banlist *l, int family,
				   const unsigned char *a, long long now)
{
	for (size_t i = 0; i < l->n; i++)
		if (ban_active(&l->v[i], now) && addr_in(&l->v[i], family, a))
			return &l->v[i];
	return NULL;
}

const struct ban *banlist_find_ip(const struct banlist *l, const char *ip,
				  long long now)
{
	unsigned char a[16];
	int family;
	if (parse_ip(ip, &family, a) != 0)
		return NULL;
	return find_addr(l, family, a, now);
}

/* A socket address's family and 16 bytes as parse_ip gives them; -1
 * for a family that is not IP. */
static int sa_bytes(const struct sockaddr *sa, int *family, unsigned char *a)
{
	memset(a, 0, 16);
	*family = sa->sa_family;
	if (*family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)(const void *)sa)
				   ->sin_addr, 4);
		return 0;
	}
	if (*family != AF_INET6)
		return -1;
	memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
	       16);
	if (is_mapped(a)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

const struct ban *banlist_find_sa(const struct banlist *l,
				  const struct sockaddr *sa, long long now)
{
	unsigned char a[16];
	int family;
	if (sa_bytes(sa, &family, a) != 0)
		return NULL;
	return find_addr(l, family, a, now);
}

int ban_covers_sa(const struct ban *b, const struct sockaddr *sa)
{
	unsigned char a[16];
	int family;
	return sa_bytes(sa, &family, a) == 0 && addr_in(b, family, a);
}

const struct ban *banlist_find_name(const struct banlist *l,
				    const char *name, size_t len,
				    long long now)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ban *b = &l->v[i];
		if (b->kind == BAN_NAME && ban_active(b, now) &&
		    name_same(b->name, strlen(b->name), name, len))
			return b;
	}
	return NULL;
}

int banlist_add(struct banlist *l, const struct ban *b)
{
	for (size_t i = 0; i < l->n; i++) {
		if (ban_same_target(&l->v[i], b)) {
			l->v[i] = *b;
			return 0;
		}
	}
	if (l->n == BANS_MAX)
		return -1;
	l->v[l->n++] = *b;
	return 0;
}

int banlist_remove(struct banlist *l, const struct ban *t)
{
	for (size_t i = 0; i < l->n; i++) {
		if (ban_same_target(&l->v[i], t)) {
			l->v[i] = l->v[--l->n];
			return 1;
		}
	}
	return 0;
}

size_t banlist_expire(struct banlist *l, long long now)
{
	size_t gone = 0;
	for (size_t i = 0; i < l->n;) {
		if (ban_active(&l->v[i], now)) {
			i++;
		} else {
			l->v[i] = l->v[--l->n];
			gone++;
		}
	}
	return gone;
}

size_t ban_format(const struct ban *b, char *buf, size_t size)
{
	char target[BAN_TARGET_TEXT_MAX];
	ban_target_text(b, target, sizeof target);
	int n = snprintf(buf, size, "ban\t%s\t%lld\t%s\t%s\n", target,
			 b->until, b->by, b->reason);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* No control byte (C0, DEL) in len bytes at s. */
static int clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A field of at most max bytes, or -1. */
static int field(const char **p, const char *end, size_t max,
		 const char **f, size_t *flen, int last)
{
	const char *tab = last ? NULL : memchr(*p, '\t', (size_t)(end - *p));
	const char *stop = last ? end : tab;
	if (!stop || (size_t)(stop - *p) > max)
		return -1;
	*f = *p;
	*flen = (size_t)(stop - *p);
	*p = last ? end : stop + 1;
	return 0;
}

/* Digits only, at most 12 of them: a Unix time. */
static int parse_until(const char *s, size_t len, long long *until)
{
	long long v = 0;
	if (len == 0 || len > 12)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*until = v;
	return 0;
}

/* One line without its LF: 0 and *b, or -1. */
static int parse_line(const char *s, size_t len, struct ban *b)
{
	const char *p = s, *end = s + len, *f;
	size_t flen;
	memset(b, 0, sizeof *b);
	if (len >= BAN_LINE_MAX ||
	    field(&p, end, 3, &f, &flen, 0) != 0 || flen != 3 ||
	    memcmp(f, "ban", 3) != 0 ||
	    field(&p, end, BAN_TARGET_TEXT_MAX - 1, &f, &flen, 0) != 0 ||
	    ban_target(f, flen, b) != 0 ||
	    field(&p, end, 12, &f, &flen, 0) != 0 ||
	    parse_until(f, flen, &b->until) != 0 ||
	    field(&p, end, BAN_BY_MAX, &f, &flen, 0) != 0 ||
	    !name_valid(f, flen))
		return -1;
	memcpy(b->by, f, flen);
	b->by[flen] = '\0';
	if (field(&p, end, BAN_REASON_MAX, &f, &flen, 1) != 0 ||
	    !clean(f, flen))
		return -1;
	memcpy(b->reason, f, flen);
	b->reason[flen] = '\0';
	return 0;
}

int ban_parse(const char *s, size_t len, struct ban *b)
{
	return parse_line(s, len, b);
}

size_t banlist_parse(struct banlist *l, const char *text, size_t len)
{
	size_t skipped = 0, at = 0;
	struct ban b;
	l->n = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t llen = nl ? (size_t)(nl - (text + at)) : len - at;
		/* A last line without its LF was cut short: not a ban. */
		if (!nl || parse_line(text + at, llen, &b) != 0 ||
		    banlist_add(l, &b) != 0)
			skipped++;
		at += llen + 1;
	}
	return skipped;
}
