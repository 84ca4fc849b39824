/* xhost.c — presence across hosts (xhost.h): this host in Redis, its
 * heartbeat, the snapshot of the others, the streams read.
 *
 * Keys (PREFIX "natter:" as the room logs'; ID this host's, below):
 *   PREFIXhost:ID     a string that expires (PX XHOST_TTL_MS) unless
 *                     the host refreshes it (every XHOST_BEAT_MS): the
 *                     host is alive while it exists
 *   PREFIXhosts       a set: the hosts that said they are up
 *   PREFIXpeople:ID   a hash: the host's people, lower-case name ->
 *                     "Name Room" (Room empty between claim and entry)
 *   PREFIXaway:ID     a hash: those of them who are away, lower-case
 *                     name -> away message (an 'away' event each change)
 *   PREFIXname:NAME   a string: the host that claimed the lower-case
 *                     name; it holds the name only while that host is
 *                     alive and lists it in its people
 *   PREFIXevents      a stream (MAXLEN ~ XHOST_EVENTS_KEEP): joins,
 *                     moves, leaves, away marks set and cleared ('away',
 *                     the message in field a); a host's reset (it starts again
 *                     from nothing) and death (found by another)
 *   PREFIXinbox:ID    a stream (MAXLEN ~ XHOST_INBOX_KEEP): private
 *                     lines to the host's people
 * Each change is one script (EVAL: atomic), so the hash, the name and
 * the event agree.  The streams are read by the room log's XREAD
 * (store_redis.h), from the last ID read: nothing is lost while the
 * link is down (within MAXLEN).
 *
 * The ID: the host name (15 bytes at most) and a hash of the machine's
 * ID (/etc/machine-id) and the broker's socket path, so a broker that
 * restarts is the same host and its people's rejoins keep their names.
 *
 * Life: when the link works (SCRIPT LOAD answered) UP clears what
 * Redis held of this host, sets its key, emits 'reset' and returns
 * the snapshot (every live host's people and away marks, the event
 * stream's last ID);
 * then each person here is announced again ('here', quiet; as many at
 * once as leave the link XHOST_HERE_PENDING commands waiting, the rest
 * as replies come, so any number of people fit its ring).  BEAT
 * refreshes the key (SET XX) and finds hosts whose key expired: they
 * leave the set, their people hash goes, and a 'dead' event tells
 * every host to take their people out (announced as leaves).  A BEAT
 * that finds its own key gone (Redis restarted empty, or this host
 * taken for dead while Redis stalled) runs UP again.  So a host killed
 * is gone from everyone's /who within XHOST_TTL_MS + XHOST_BEAT_MS
 * (10 s) and a little.
 *
 * Link lost: the people of other hosts are forgotten (quietly); the
 * people here are told once that the other servers cannot be reached,
 * and once when they can again (after the next snapshot). */
#include "xhost_int.h"
#include "xignore.h"
#include "xmail.h"
#include "xmod.h"

#include "chat.h"
#include "io.h"
#include "log.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char up_script[] =
    "for _, n in ipairs(redis.call('HKEYS', KEYS[3])) do\n"
    "  local k = ARGV[3] .. 'name:' .. n\n"
    "  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end\n"
    "end\n"
    "redis.call('DEL', KEYS[3])\n"
    "redis.call('DEL', ARGV[3] .. 'away:' .. ARGV[1])\n"
    "redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "local ev = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*',\n"
    "  'h', ARGV[1], 'k', 'reset', 'n', '', 'r', '', 'o', '')\n"
    "local ib = redis.call('XREVRANGE', KEYS[5], '+', '-', 'COUNT', 1)\n"
    "local out = {ev, ib[1] and ib[1][1] or '0-0'}\n"
    "local total, aways = 0, 0\n"
    "for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  if h ~= ARGV[1] and\n"
    "     redis.call('EXISTS', ARGV[3] .. 'host:' .. h) == 1 then\n"
    "    local p = redis.call('HGETALL', ARGV[3] .. 'people:' .. h)\n"
    "    if total + #p / 2 > tonumber(ARGV[5]) then break end\n"
    "    total = total + #p / 2\n"
    "    out[#out + 1] = h\n"
    "    out[#out + 1] = p\n"
    "    local a = redis.call('HGETALL', ARGV[3] .. 'away:' .. h)\n"
    "    if aways + #a / 2 > tonumber(ARGV[6]) then a = {} end\n"
    "    aways = aways + #a / 2\n"
    "    out[#out + 1] = a\n"
    "  end\n"
    "end\n"
    "return out\n";

static const char beat_script[] =
    "local ok = redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'XX')\n"
    "for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  if h ~= ARGV[1] and\n"
    "     redis.call('EXISTS', ARGV[3] .. 'host:' .. h) == 0 then\n"
    "    redis.call('SREM', KEYS[2], h)\n"
    "    redis.call('DEL', ARGV[3] .. 'people:' .. h)\n"
    "    redis.call('DEL', ARGV[3] .. 'away:' .. h)\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',\n"
    "      'h', h, 'k', 'dead', 'n', '', 'r', '', 'o', '')\n"
    "  end\n"
    "end\n"
    "if ok then return 1 end\n"
    "return 0\n";

void xh_bad(struct xhost *xh, const char *why)
{
	long long now = io_now_ms();
	if (xh->bad_at && now - xh->bad_at < XHOST_BAD_LOG_MS) {
		xh->bad_hidden++;
		return;
	}
	if (xh->bad_hidden)
		log_msg(LOG_WARNING, "presence across hosts: skipped %s (and "
			"%lu more since the last line)", why, xh->bad_hidden);
	else
		log_msg(LOG_WARNING, "presence across hosts: skipped %s", why);
	xh->bad_at = now;
	xh->bad_hidden = 0;
}

size_t xh_key(const struct xhost *xh, char *buf, const char *kind,
	      const char *rest)
{
	int n = snprintf(buf, XHOST_KEY_MAX, "%s%s%s", xh->prefix, kind, rest);
	return n < 0 ? 0 : (size_t)n; /* fits: XHOST_KEY_MAX is the sum */
}

size_t xh_name_key(const struct xhost *xh, char *buf, const char *kind,
		   const char *name)
{
	char lo[NAME_LEN_MAX + 1];
	name_lower(lo, name);
	return xh_key(xh, buf, kind, lo);
}

struct redis *xh_link(struct chat *ch)
{
	return ch->xh && ch->xh->ready && !ch->xh->closing ?
	       store_redis_link(ch->xh->st) : NULL;
}

static uint64_t fnv(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* "HOSTNAME-HASH" (xhost.c's header). */
static void id_make(struct xhost *xh, const char *seed)
{
	char name[256] = "", mid[128];
	size_t k = 0;
	uint64_t h = 14695981039346656037ULL;
	if (gethostname(name, sizeof name - 1) != 0)
		name[0] = '\0';
	for (size_t i = 0; name[i] && k < 15; i++)
		if (xwire_host_ok(&name[i], 1))
			name[k++] = name[i];
	name[k] = '\0';
	int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = io_read(fd, mid, sizeof mid);
		if (n > 0)
			h = fnv(h, mid, (size_t)n);
		close(fd);
	}
	h = fnv(h, seed ? seed : "", seed ? strlen(seed) : 0);
	snprintf(xh->id, sizeof xh->id, "%.15s-%016llx", k ? name : "host",
		 (unsigned long long)h);
}

static void up_reply(void *ctx, const struct resp_value *v);

void xh_send_up(struct xhost *xh)
{
	struct redis *l = store_redis_link(xh->st);
	char ttl[24], keep[24], most[24], aways[24];
	if (!l || xh->up_out)
		return;
	snprintf(ttl, sizeof ttl, "%d", XHOST_TTL_MS);
	snprintf(keep, sizeof keep, "%d", XHOST_EVENTS_KEEP);
	snprintf(most, sizeof most, "%d", XHOST_REMOTE_MAX);
	snprintf(aways, sizeof aways, "%d", XHOST_AWAY_SNAP_MAX);
	const char *argv[] = { "EVAL", up_script, "5", xh->k_host,
			       xh->k_hosts, xh->k_people, xh->k_events,
			       xh->k_inbox, xh->id, ttl, xh->prefix, keep,
			       most, aways };
	size_t lens[14];
	for (int i = 0; i < 14; i++)
		lens[i] = strlen(argv[i]);
	if (redis_command(l, 14, argv, lens, up_reply, xh) == 0)
		xh->up_out = 1;
}

static int id_of(const struct resp_value *v, struct stream_id *id)
{
	return v->type == RESP_BULK ? stream_id_parse(v->str, v->len, id) :
	       -1;
}

static void up_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	struct stream_id ib;
	if (xh->closing)
		return;
	xh->up_out = 0;
	if (!v)
		return; /* the link is lost: UP again when it is back */
	if (v->type != RESP_ARRAY || v->n < 2 || (v->n - 2) % 3 ||
	    id_of(&v->elem[0], &xh->ev_last) < 0 ||
	    id_of(&v->elem[1], &ib) < 0) {
		xh_bad(xh, "a bad answer to UP");
		return;
	}
	if (!xh->ib_known)
		xh->ib_last = ib;
	xh->ib_known = 1;
	xp_clear(xh);
	for (size_t i = 2; i < v->n; i += 3)
		if (v->elem[i].type == RESP_BULK)
			xp_load(xh, v->elem[i].str, v->elem[i].len,
				&v->elem[i + 1], &v->elem[i + 2]);
	xh->ready = 1;
	xh->beat_at = io_now_ms() + XHOST_BEAT_MS;
	store_redis_restream(xh->st);
	xh_here_all(xh);
	xmod_up(xh);
	xmail_up(xh);
	xignore_up(xh);
	if (xh->told_down) {
		xh->told_down = 0;
		xp_tell_all(xh, "The other servers can be reached again.");
		log_msg(LOG_NOTICE, "presence across hosts: back (%d other "
			"hosts, %zu people there)", xh->nhosts, xh->npeople);
	}
}

static void beat_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	if (xh->closing)
		return;
	xh->beat_out = 0;
	if (!v)
		return;
	if (v->type == RESP_INTEGER && v->integer == 0) {
		/* our key was gone: Redis lost it, or took us for dead */
		log_msg(LOG_NOTICE, "presence across hosts: this host was "
			"not in Redis any more; announced again");
		xh->ready = 0;
		xh_send_up(xh);
	} else if (v->type != RESP_INTEGER) {
		xh_bad(xh, "a bad answer to BEAT");
	}
}

static void beat_send(struct xhost *xh)
{
	struct redis *l = store_redis_link(xh->st);
	char ttl[24], keep[24];
	if (!l)
		return;
	snprintf(ttl, sizeof ttl, "%d", XHOST_TTL_MS);
	snprintf(keep, sizeof keep, "%d", XHOST_EVENTS_KEEP);
	const char *argv[] = { "EVAL", beat_script, "3", xh->k_host,
			       xh->k_hosts, xh->k_events, xh->id, ttl,
			       xh->prefix, keep };
	size_t lens[10];
	for (int i = 0; i < 10; i++)
		lens[i] = strlen(argv[i]);
	if (redis_command(l, 10, argv, lens, beat_reply, xh) == 0)
		xh->beat_out = 1;
}

/* store_redis_user's callbacks */

static void on_link(void *ctx, int up)
{
	struct xhost *xh = ctx;
	if (xh->closing)
		return;
	xh->up = up;
	if (up) {
		xh_load_scripts(xh);
		xh_send_up(xh);
		return;
	}
	xh->ready = 0;
	xp_clear(xh);
	xh_here_drop(xh);
	xtake_drop(xh);
	if (!xh->told_down) {
		xh->told_down = 1;
		xp_tell_all(xh, "The other servers cannot be reached; chat "
			    "here goes on.");
	}
}

static int on_streams(void *ctx, const char **keys, struct stream_id *ids,
		      int max)
{
	struct xhost *xh = ctx;
	if (!xh->ready || xh->closing || max < 2)
		return 0;
	keys[0] = xh->k_events;
	ids[0] = xh->ev_last;
	keys[1] = xh->k_inbox;
	ids[1] = xh->ib_last;
	return 2 + xmod_streams(xh, keys + 2, ids + 2, max - 2);
}

static void on_entry(void *ctx, const char *key, size_t keylen,
		     const struct stream_id *id,
		     const struct resp_value *fields)
{
	struct xhost *xh = ctx;
	const char *why = NULL;
	int ev = keylen == strlen(xh->k_events) &&
		 memcmp(key, xh->k_events, keylen) == 0;
	int ib = keylen == strlen(xh->k_inbox) &&
		 memcmp(key, xh->k_inbox, keylen) == 0;
	struct stream_id *last = ev ? &xh->ev_last : &xh->ib_last;
	if (xmod_entry(xh, key, keylen, id, fields))
		return;
	if (xh->closing || !xh->ready || (!ev && !ib) ||
	    stream_id_cmp(id, last) <= 0)
		return;
	*last = *id;
	if (ev) {
		struct xev e;
		if (xwire_event(fields, &e, &why) < 0)
			xh_bad(xh, why);
		else if (e.host.len != strlen(xh->id) ||
			 memcmp(e.host.s, xh->id, e.host.len) != 0)
			xp_event(xh, &e);
		return;
	}
	struct xmsg m;
	if (xwire_msg(fields, &m, &why) < 0)
		xh_bad(xh, why);
	else
		xp_msg(xh, &m);
}

/* Events were dropped (xhost_int.h, dropped): once the link has room,
 * UP again, as after a reconnect.  1 when it was sent. */
static int resync(struct xhost *xh)
{
	struct redis *l = store_redis_link(xh->st);
	if (!l || redis_pending(l) >= XHOST_HERE_PENDING)
		return 0; /* replies make room and bring us back here */
	log_msg(LOG_NOTICE, "presence across hosts: %lu joins or leaves did "
		"not fit the link to Redis; this host is announced again",
		xh->dropped);
	xh->dropped = 0;
	xh->ready = 0;
	xh_send_up(xh);
	return 1;
}

static int on_run(void *ctx, long long now)
{
	struct xhost *xh = ctx;
	if (xh->closing || !xh->up)
		return -1;
	int wait = xtake_run(xh, now);
	if (!xh->ready) {
		xh_send_up(xh); /* one that could not be queued */
		return wait >= 0 && wait < XHOST_BEAT_MS ? wait : XHOST_BEAT_MS;
	}
	if (!xh->beat_out && now >= xh->beat_at) {
		beat_send(xh);
		xh->beat_at = now + XHOST_BEAT_MS;
	}
	/* more to announce once replies (which wake the loop) make room */
	(void)xh_here_more(xh);
	if (xh->dropped && !xh->here && !xh->up_out && resync(xh))
		return XHOST_BEAT_MS;
	int beat = xh->beat_at > now ? (int)(xh->beat_at - now) : 0;
	return wait >= 0 && wait < beat ? wait : beat;
}

int xhost_open(struct chat *ch, const char *seed)
{
	struct store *st = history_store(ch);
	if (!ch->hist.redis || !st)
		return 0;
	struct xhost *xh = calloc(1, sizeof *xh);
	if (xh)
		xh->people = calloc(XHOST_REMOTE_MAX, sizeof *xh->people);
	if (!xh || !xh->people) {
		free(xh);
		log_msg(LOG_ERR, "presence across hosts: out of memory");
		return -1;
	}
	xh->ch = ch;
	xh->st = st;
	xh->prefix = store_redis_prefix(st);
	id_make(xh, seed);
	xh_key(xh, xh->k_events, "events", "");
	xh_key(xh, xh->k_inbox, "inbox:", xh->id);
	xh_key(xh, xh->k_host, "host:", xh->id);
	xh_key(xh, xh->k_hosts, "hosts", "");
	xh_key(xh, xh->k_people, "people:", xh->id);
	if (xmod_open(xh) != 0) {
		free(xh->people);
		free(xh);
		log_msg(LOG_ERR, "presence across hosts: out of memory");
		return -1;
	}
	xh->user = (struct store_redis_user){ xh, on_link, on_streams,
					      on_entry, on_run };
	if (store_redis_attach(st, &xh->user) != 0) {
		xmod_free(xh);
		free(xh->people);
		free(xh);
		return 0;
	}
	ch->xh = xh;
	log_msg(LOG_INFO, "presence shared in Redis as host %s", xh->id);
	return 0;
}

void xhost_close(struct chat *ch)
{
	if (ch->xh)
		ch->xh->closing = 1;
}

void xhost_free(struct chat *ch)
{
	struct xhost *xh = ch->xh;
	if (!xh)
		return;
	while (xh->pend)
		xh_pend_free(xh, xh->pend);
	xh_here_drop(xh);
	xmod_free(xh);
	free(xh->people);
	free(xh);
	ch->xh = NULL;
}
