/* xhost_ops.c — what this host tells the others (xhost.h): a name
 * claimed at login, joins, moves and leaves, private lines to their
 * people.  The scripts' keys are in xhost.c's header. */
#include "xhost_int.h"

#include "chat.h"
#include "io.h"
#include "log.h"
#include "names.h"
#include "namecmp.h"
#include "reply.h"
#include "away.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name is free when its holder is this host, or a host that is
 * dead, or one that does not list it (a claim it gave up). */
#define NAME_HELD_ELSEWHERE(K, P, L) \
    "local h = redis.call('GET', " K ")\n" \
    "if h and h ~= ARGV[1] and\n" \
    "   redis.call('EXISTS', " P " .. 'host:' .. h) == 1 and\n" \
    "   redis.call('HEXISTS', " P " .. 'people:' .. h, " L ") == 1 then\n" \
    "  return 0\n" \
    "end\n"

static const char claim_script[] =
    NAME_HELD_ELSEWHERE("KEYS[1]", "ARGV[3]", "ARGV[2]")
    "redis.call('SET', KEYS[1], ARGV[1])\n"
    "redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])\n"
    "return 1\n";

static const char event_script[] =
    "if ARGV[2] == 'leave' then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[3])\n"
    "  redis.call('HDEL', ARGV[8] .. 'away:' .. ARGV[1], ARGV[3])\n"
    "  if redis.call('GET', KEYS[3]) == ARGV[1] then\n"
    "    redis.call('DEL', KEYS[3])\n"
    "  end\n"
    "else\n"
    NAME_HELD_ELSEWHERE("KEYS[3]", "ARGV[8]", "ARGV[3]")
    "  redis.call('SET', KEYS[3], ARGV[1])\n"
    "  redis.call('HSET', KEYS[1], ARGV[3], ARGV[4] .. ' ' .. ARGV[5])\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'h',\n"
    "  ARGV[1], 'k', ARGV[2], 'n', ARGV[4], 'r', ARGV[5], 'o', ARGV[6])\n"
    "return 1\n";

/* KEYS away hash, events; ARGV host, lower-case name, Name, room,
 * message ("" when back), MAXLEN */
static const char away_script[] =
    "if ARGV[5] == '' then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[2])\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], ARGV[2], ARGV[5])\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'h',\n"
    "  ARGV[1], 'k', 'away', 'n', ARGV[3], 'r', ARGV[4], 'o', '',\n"
    "  'a', ARGV[5])\n"
    "return 1\n";

struct xpend *xh_pend_new(struct xhost *xh, struct chatter *c,
			  enum xpend_what what, size_t extra)
{
	struct xpend *p = xh->npend < XHOST_PEND_MAX ?
			  calloc(1, sizeof *p + extra + 1) : NULL;
	if (!p)
		return NULL;
	p->xh = xh;
	p->c = c;
	p->what = what;
	p->next = xh->pend;
	if (xh->pend)
		xh->pend->prev = p;
	xh->pend = p;
	xh->npend++;
	return p;
}

void xh_pend_free(struct xhost *xh, struct xpend *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		xh->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	xh->npend--;
	free(p);
}

static void sha_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	if (xh->closing || !v || v->type != RESP_BULK ||
	    v->len >= sizeof xh->ev_sha)
		return;
	memcpy(xh->ev_sha, v->str, v->len);
	xh->ev_sha[v->len] = '\0';
}

void xh_load_scripts(struct xhost *xh)
{
	struct redis *l = store_redis_link(xh->st);
	const char *argv[] = { "SCRIPT", "LOAD", event_script };
	size_t lens[] = { 6, 4, sizeof event_script - 1 };
	if (l)
		(void)redis_command(l, 3, argv, lens, sha_reply, xh);
}

static void event_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	if (xh->closing || !v)
		return;
	if (v->type == RESP_ERROR && v->len >= 8 &&
	    memcmp(v->str, "NOSCRIPT", 8) == 0) {
		xh->ev_sha[0] = '\0'; /* flushed: EVAL from now on */
		xh_bad(xh, "an event (the script was flushed)");
		return;
	}
	if (v->type == RESP_INTEGER && v->integer == 0)
		log_msg(LOG_WARNING, "presence across hosts: a name here is "
			"held on another host too (claimed there while Redis "
			"was away); both keep it until one leaves");
	else if (v->type != RESP_INTEGER)
		xh_bad(xh, "a bad answer to an event");
}

static int event_send(struct xhost *xh, const char *name, const char *kind,
		      const char *room, const char *old)
{
	struct redis *l = store_redis_link(xh->st);
	char lname[NAME_LEN_MAX + 1], nkey[XHOST_KEY_MAX], keep[24];
	if (!l || (!xh->ready && !xh->up_out))
		return -1;
	name_lower(lname, name);
	xh_key(xh, nkey, "name:", lname);
	snprintf(keep, sizeof keep, "%d", XHOST_EVENTS_KEEP);
	int sha = xh->ev_sha[0] != '\0';
	const char *argv[] = { sha ? "EVALSHA" : "EVAL",
			       sha ? xh->ev_sha : event_script, "3",
			       xh->k_people,
			       xh->k_events, nkey, xh->id, kind, lname, name,
			       room, old, keep, xh->prefix };
	size_t lens[14];
	for (int i = 0; i < 14; i++)
		lens[i] = strlen(argv[i]);
	return redis_command(l, 14, argv, lens, event_reply, xh);
}

/* The away mark of name (msg, "" when back) to the other hosts. */
static int away_send(struct xhost *xh, const char *name, const char *room,
		     const char *msg)
{
	struct redis *l = store_redis_link(xh->st);
	char lname[NAME_LEN_MAX + 1], akey[XHOST_KEY_MAX], keep[24];
	if (!l || (!xh->ready && !xh->up_out))
		return -1;
	name_lower(lname, name);
	xh_key(xh, akey, "away:", xh->id);
	snprintf(keep, sizeof keep, "%d", XHOST_EVENTS_KEEP);
	const char *argv[] = { "EVAL", away_script, "2", akey, xh->k_events,
			       xh->id, lname, name, room, msg, keep };
	size_t lens[11];
	for (int i = 0; i < 11; i++)
		lens[i] = strlen(argv[i]);
	return redis_command(l, 11, argv, lens, event_reply, xh);
}

void xhost_away(struct chat *ch, struct chatter *c)
{
	struct xhost *xh = ch->xh;
	/* while the link is away, UP's 'here' announcements bring it */
	if (xh && !xh->closing && xh->ready && c->m.room &&
	    away_send(xh, c->m.name, c->m.room->name,
		      c->away ? c->away : "") != 0)
		xh_bad(xh, "an away mark (the link to Redis is full; the "
		       "other hosts hear it at the next reconnect)");
}

int xhost_away_tell(struct chat *ch, struct chatter *c, const char *to)
{
	struct xperson *p = ch->xh ? xp_find(ch->xh, to, strlen(to)) : NULL;
	if (!p || !p->away[0])
		return 0;
	away_tell_name(ch, c, p->name, p->away);
	return 1;
}

/* event_send, and a drop noted (on_run sends UP again) when the link
 * is there but its queue is full: a leave lost so would keep the name
 * held in Redis. */
static int event_or_note(struct xhost *xh, const char *name,
			 const char *kind, const char *room, const char *old)
{
	int rc = event_send(xh, name, kind, room, old);
	if (rc != 0 && store_redis_link(xh->st) && (xh->ready || xh->up_out))
		xh->dropped++;
	return rc;
}

int xh_event(struct xhost *xh, struct chatter *c, const char *kind,
	     const char *room, const char *old)
{
	return event_or_note(xh, c->m.name, kind, room, old);
}

static void here_count(const struct room *r, void *arg)
{
	*(size_t *)arg += r->count;
}

static void here_names(const struct room *r, void *arg)
{
	struct xhost *xh = arg;
	for (size_t i = 0; i < r->count; i++)
		memcpy(xh->here[xh->here_n++], r->members[i]->name,
		       sizeof xh->here[0]);
}

void xh_here_drop(struct xhost *xh)
{
	free(xh->here);
	xh->here = NULL;
	xh->here_n = xh->here_next = 0;
}

/* By name, not by pointer: whoever left meanwhile is skipped, whoever
 * moved is announced in the room he is in now. */
int xh_here_more(struct xhost *xh)
{
	struct redis *l = store_redis_link(xh->st);
	while (xh->here && l && xh->here_next < xh->here_n &&
	       redis_pending(l) < XHOST_HERE_PENDING) {
		const char *name = xh->here[xh->here_next];
		struct member *m = presence_find(&xh->ch->pres, name,
						 strlen(name));
		if (m && m->room &&
		    event_send(xh, m->name, "here", m->room->name, "") != 0)
			break; /* the next run tries it again */
		const char *away = m ? chatter_of(m)->away : NULL;
		if (m && m->room && away)
			(void)away_send(xh, m->name, m->room->name, away);
		xh->here_next++;
	}
	if (xh->here && xh->here_next == xh->here_n)
		xh_here_drop(xh);
	return xh->here != NULL;
}

void xh_here_all(struct xhost *xh)
{
	size_t n = 0;
	xh_here_drop(xh);
	presence_each_room(&xh->ch->pres, here_count, &n);
	if (n == 0)
		return;
	xh->here = malloc(n * sizeof xh->here[0]);
	if (!xh->here) {
		xh_bad(xh, "announcing this host's people (out of memory)");
		return;
	}
	presence_each_room(&xh->ch->pres, here_names, xh);
	(void)xh_here_more(xh);
}

static void claim_reply(void *ctx, const struct resp_value *v)
{
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	int ok = !v || (v->type == RESP_INTEGER && v->integer == 1);
	if (!xh->closing && v && v->type == RESP_INTEGER && !ok &&
	    xtake_wait(xh, p, io_now_ms()))
		return; /* claimed again once the other host gives it back */
	struct chatter *c = p->c;
	struct login_go g = p->g;
	int took = p->wait_until != 0;
	char name[NAME_LEN_MAX + 1];
	memcpy(name, p->to, sizeof name);
	xh_pend_free(xh, p);
	if (xh->closing)
		return;
	if (v && v->type != RESP_INTEGER)
		xh_bad(xh, "a bad answer to a claim");
	if (!c) { /* gone while claiming: the name is given back */
		if (v && ok)
			(void)event_or_note(xh, name, "leave", "", "");
		return;
	}
	if (ok && took && v) /* not when the link is lost: both keep it */
		xtake_took(c);
	chat_login_claimed(xh->ch, c, ok, &g);
}

int xh_claim_send(struct xhost *xh, struct xpend *p)
{
	struct redis *l = store_redis_link(xh->st);
	char lname[NAME_LEN_MAX + 1], nkey[XHOST_KEY_MAX],
	    val[NAME_LEN_MAX + 2];
	if (!l)
		return -1;
	name_lower(lname, p->to);
	xh_key(xh, nkey, "name:", lname);
	snprintf(val, sizeof val, "%s ", p->to);
	const char *argv[] = { "EVAL", claim_script, "2", nkey, xh->k_people,
			       xh->id, lname, xh->prefix, val };
	size_t lens[9];
	for (int i = 0; i < 9; i++)
		lens[i] = strlen(argv[i]);
	return redis_command(l, 9, argv, lens, claim_reply, p);
}

int xhost_claim(struct chat *ch, struct chatter *c, const struct login_go *g)
{
	struct xhost *xh = ch->xh;
	struct redis *l = xh ? store_redis_link(xh->st) : NULL;
	if (xh && !xh->ready)
		xh_send_up(xh); /* a first link: queued before the claim */
	if (!xh || (!xh->ready && !xh->up_out))
		return 0; /* Redis away: names are checked here only */
	int held = xp_find(xh, c->m.name, strlen(c->m.name)) != NULL;
	struct xpend *p = l ? xh_pend_new(xh, c, XP_CLAIM, 0) : NULL;
	if (!p)
		return held ? -1 : 0;
	p->g = *g;
	memcpy(p->to, c->m.name, sizeof p->to);
	if (held) { /* its password again: that host is asked to let go */
		if (xtake_wait(xh, p, io_now_ms()))
			return 1;
		xh_pend_free(xh, p);
		return -1;
	}
	if (xh_claim_send(xh, p) != 0) {
		xh_pend_free(xh, p);
		return 0;
	}
	return 1;
}

int xhost_claiming(const struct chat *ch, const struct chatter *c)
{
	for (const struct xpend *p = ch->xh ? ch->xh->pend : NULL; p;
	     p = p->next)
		if (p->c == c && p->what == XP_CLAIM)
			return 1;
	return 0;
}

void xhost_entered(struct chat *ch, struct chatter *c, enum hist_how how,
		   const char *old)
{
	if (ch->xh && c->m.room)
		(void)xh_event(ch->xh, c, how == HIST_REJOIN ? "here" :
			       old[0] ? "move" : "join", c->m.room->name,
			       old);
}

void xhost_left(struct chat *ch, struct chatter *c)
{
	if (ch->xh)
		(void)xh_event(ch->xh, c, "leave",
			       c->m.room ? c->m.room->name : "", "");
}

void xhost_gone(struct chat *ch, struct chatter *c)
{
	struct xhost *xh = ch->xh;
	if (!xh)
		return;
	for (struct xpend *p = xh->pend; p; p = p->next) {
		if (p->c != c)
			continue;
		if (p->what == XP_CLAIM) /* not logged in: chat_gone will
					    not take it out */
			presence_remove(&ch->pres, &c->m);
		p->c = NULL;
	}
}

static void priv_reply(void *ctx, const struct resp_value *v)
{
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	if (!xh->closing && p->c) {
		char msg[NAME_LEN_MAX + 96];
		if (v && v->type == RESP_BULK) {
			struct xperson *to = xp_find(xh, p->to, strlen(p->to));
			int away = to && to->away[0];
			reply_send(xh->ch, p->c, FRAME_OK, away ? 0 : FRAME_LAST,
				   p->to, NULL, (const char *)(p + 1),
				   p->textlen);
			if (away)
				(void)xhost_away_tell(xh->ch, p->c, p->to);
		} else {
			snprintf(msg, sizeof msg, "%s could not be reached: "
				 "the other servers cannot be reached now.",
				 p->to);
			reply_only(xh->ch, p->c, FRAME_ERR, msg);
		}
	}
	xh_pend_free(xh, p);
}

int xhost_priv(struct chat *ch, struct chatter *c, const struct frame *f)
{
	struct xhost *xh = ch->xh;
	struct xperson *to = xh && name_valid(f->a, f->alen) ?
			     xp_find(xh, f->a, f->alen) : NULL;
	char key[XHOST_KEY_MAX], keep[24], id[XWIRE_ID_MAX + 1] = "";
	if (!to)
		return 0;
	struct redis *l = store_redis_link(xh->st);
	struct xpend *p = l ? xh_pend_new(xh, c, XP_PRIV, f->textlen) : NULL;
	if (!p) {
		snprintf(key, sizeof key, "%s could not be reached: the other "
			 "servers cannot be reached now.", to->name);
		reply_only(ch, c, FRAME_ERR, key);
		return 1;
	}
	memcpy(p->to, to->name, sizeof p->to);
	memcpy(p + 1, f->text, f->textlen);
	p->textlen = f->textlen;
	if (c->origin[0])
		snprintf(id, sizeof id, "%s %.*s", c->origin, (int)f->blen,
			 f->b);
	xh_key(xh, key, "inbox:", xh->hosts[to->host]);
	snprintf(keep, sizeof keep, "%d", XHOST_INBOX_KEEP);
	const char *argv[] = { "XADD", key, "MAXLEN", "~", keep, "*", "f",
			       c->m.name, "t", to->name, "i", id, "x", f->text };
	size_t lens[14];
	for (int i = 0; i < 13; i++)
		lens[i] = strlen(argv[i]);
	lens[13] = f->textlen;
	if (redis_command(l, 14, argv, lens, priv_reply, p) != 0)
		priv_reply(p, NULL);
	return 1;
}
