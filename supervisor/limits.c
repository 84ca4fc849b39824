/* limits.c — session and per-source limits; see limits.h. */
#include "limits.h"
#include "addr.h"
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCES_MIN 1024

struct source {
	struct source_key key;
	unsigned active;      /* open sessions */
	long long tat;        /* GCRA: when the bucket is full again, ticks */
	long long last_seen;  /* ms */
	int next;             /* hash chain or free list; -1 ends it */
};

static struct {
	unsigned max_sessions, max_per_source, burst;
	/* Rate times are counted in ticks of 1/burst ms, so that a token's
	 * worth of time, SECONDS/BURST, is a whole number of them whatever
	 * the ratio: 1 ms is burst ticks, a token is seconds * 1000.  (At
	 * most 10^6 ticks a ms: a monotonic clock's ms stay far below
	 * 2^63 / 10^6.) */
	long long interval;
	int track, limit_loopback;
	struct source *src;
	int *bucket;
	unsigned size;          /* entries and buckets, a power of two */
	int free_head;
} L;

int limits_init(const struct config *cfg)
{
	L.max_sessions = cfg->max_sessions;
	L.max_per_source = cfg->max_per_source;
	L.burst = cfg->rate_burst;
	L.interval = (long long)cfg->rate_seconds * 1000;
	L.limit_loopback = cfg->limit_loopback;
	L.track = L.max_per_source > 0 || L.burst > 0;
	if (!L.track)
		return 0;
	L.size = SOURCES_MIN;
	while (L.size < 2 * L.max_sessions)
		L.size *= 2;
	L.src = calloc(L.size, sizeof *L.src);
	L.bucket = malloc(L.size * sizeof *L.bucket);
	if (!L.src || !L.bucket)
		return -1;
	for (unsigned i = 0; i < L.size; i++) {
		L.bucket[i] = -1;
		L.src[i].next = i + 1 < L.size ? (int)i + 1 : -1;
	}
	L.free_head = 0;
	return 0;
}

static unsigned key_hash(const struct source_key *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < sizeof k->b; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h & (L.size - 1);
}

static int source_find(const struct source_key *k)
{
	for (int i = L.bucket[key_hash(k)]; i >= 0; i = L.src[i].next)
		if (memcmp(&L.src[i].key, k, sizeof *k) == 0)
			return i;
	return -1;
}

static void source_unlink(int idx)
{
	int *p = &L.bucket[key_hash(&L.src[idx].key)];
	while (*p != idx)
		p = &L.src[*p].next;
	*p = L.src[idx].next;
}

/* ms in rate ticks (see L.interval). */
static long long ticks(long long ms)
{
	return ms * L.burst;
}

/* The idle source that loses least when forgotten: one whose bucket is
 * full again if any, else the least recently seen. */
static int source_victim(long long now)
{
	int best = -1;
	for (unsigned i = 0; i < L.size; i++) {
		const struct source *s = &L.src[i];
		if (s->active)
			continue;
		if (s->tat <= ticks(now))
			return (int)i;
		if (best < 0 || s->last_seen < L.src[best].last_seen)
			best = (int)i;
	}
	return best;
}

static int source_add(const struct source_key *k, long long now)
{
	int idx = L.free_head;
	if (idx >= 0) {
		L.free_head = L.src[idx].next;
	} else {
		idx = source_victim(now);
		if (idx < 0)
			return -1; /* unreachable: size > max sessions */
		source_unlink(idx);
	}
	struct source *s = &L.src[idx];
	s->key = *k;
	s->active = 0;
	s->tat = ticks(now);
	unsigned h = key_hash(k);
	s->next = L.bucket[h];
	L.bucket[h] = idx;
	return idx;
}

static enum admission source_check(struct source *s, long long now,
				   unsigned *retry_s)
{
	if (L.max_per_source && s->active >= L.max_per_source) {
		*retry_s = RETRY_BUSY_SECONDS;
		return REFUSE_SOURCE;
	}
	if (L.burst) {
		long long t = ticks(now), second = ticks(1000);
		long long tat = s->tat > t ? s->tat : t;
		long long over = tat - t - (long long)(L.burst - 1) * L.interval;
		if (over > 0) {
			*retry_s = (unsigned)((over + second - 1) / second);
			return REFUSE_RATE;
		}
		s->tat = tat + L.interval;
	}
	return ADMIT;
}

enum admission limits_admit(const struct sockaddr *sa, unsigned sessions,
			    long long now, int *source, unsigned *retry_s)
{
	struct source_key k;
	*source = -1;
	if (sessions >= L.max_sessions) {
		*retry_s = RETRY_BUSY_SECONDS;
		return REFUSE_FULL;
	}
	if (!L.track || (!L.limit_loopback && addr_is_loopback(sa)))
		return ADMIT;
	addr_source_key(sa, &k);
	int idx = source_find(&k);
	if (idx < 0 && (idx = source_add(&k, now)) < 0)
		return ADMIT;
	struct source *s = &L.src[idx];
	s->last_seen = now;
	enum admission a = source_check(s, now, retry_s);
	if (a == ADMIT) {
		s->active++;
		*source = idx;
	}
	return a;
}

int limits_adopt(const struct sockaddr *sa, long long now)
{
	struct source_key k;
	if (!L.track || (!L.limit_loopback && addr_is_loopback(sa)))
		return -1;
	addr_source_key(sa, &k);
	int idx = source_find(&k);
	if (idx < 0 && (idx = source_add(&k, now)) < 0)
		return -1;
	L.src[idx].active++;
	L.src[idx].last_seen = now;
	return idx;
}

void limits_release(int source)
{
	if (source >= 0 && (unsigned)source < L.size && L.src[source].active)
		L.src[source].active--;
}

const char *limits_reason(enum admission why)
{
	return why == REFUSE_FULL ? "too many connections" :
	       why == REFUSE_SOURCE ? "too many connections from your address" :
	       why == REFUSE_RATE ? "connecting too often from your address" :
	       "server busy";
}

int limits_message(char *buf, size_t len, enum admission why, unsigned retry_s)
{
	return snprintf(buf, len, "natterd: %s; try again in %u second%s\r\n",
			limits_reason(why), retry_s, retry_s == 1 ? "" : "s");
}
