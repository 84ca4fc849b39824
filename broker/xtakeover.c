/* xtakeover.c — taking back your name across hosts (takeover.h).
 *
 * A LOGIN with the account's password (FRAME_ACCOUNT, not a REJOIN)
 * whose name another live host holds: this host adds a takeover entry
 * to the moderation stream (xmod_wire.h: t the name, v this host and
 * the new session's IP), and the login waits.  The host that has the
 * name, reading it, ends its session of that name as a local takeover
 * does, if that session is an account's, and gives the name back (a
 * leave event).  Here the claim is sent again every XTAKE_RETRY_MS
 * until it is taken, for at most XTAKE_WAIT_MS; then the login is
 * refused as any login for a name in use.  A host that does not know
 * the kind logs the entry as unknown, and the login is refused after
 * the wait.  An entry read later than XTAKE_STALE_MS after it was made
 * (the holder's broker was stopped, or its link away) is not acted on:
 * the log-in has given up, and nobody would take the session's place.
 *
 * The waiting login is its claim's pending command (XP_CLAIM), parked
 * (retry_at set) between claims: xhost_claiming is 1 for it all along,
 * and xhost_gone ends it (its name out of local presence). */
#include "xhost_int.h"
#include "xmod_int.h"

#include "chat.h"
#include "history.h"
#include "log.h"
#include "names.h"
#include "takeover.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The holder's host is asked to end its session: 0, or -1 when the
 * moderation stream cannot be written now. */
static int ask(struct xhost *xh, const struct chatter *c)
{
	struct xtake t;
	char value[XMOD_VALUE_MAX];
	if (!xh->mod)
		return -1;
	name_lower(t.name, c->m.name);
	snprintf(t.host, sizeof t.host, "%s", xh->id);
	snprintf(t.ip, sizeof t.ip, "%s", c->ip);
	if (strlen(c->ip) > XMOD_IP_MAX || !xmodwire_ip_ok(t.ip))
		snprintf(t.ip, sizeof t.ip, "?");
	xmodwire_take_value(&t, value);
	if (xmod_change_send(xh, xh->mod->k_bans, "none",
			     xmodwire_kind(XM_TAKEOVER), t.name, value) != 0)
		return -1;
	log_msg(LOG_NOTICE, "%s logs in again from %s port %s: the other host "
		"that has them is asked to end that session", c->m.name, c->ip,
		c->port);
	return 0;
}

int xtake_wait(struct xhost *xh, struct xpend *p, long long now)
{
	uint8_t fl = p->g.flags;
	if (!p->c || !(fl & FRAME_ACCOUNT) || (fl & FRAME_REJOIN))
		return 0;
	if (!p->wait_until) {
		if (ask(xh, p->c) != 0)
			return 0;
		p->wait_until = now + XTAKE_WAIT_MS;
	}
	if (now >= p->wait_until) {
		log_msg(LOG_NOTICE, "%s: the other host did not give the name "
			"back within %d ms", p->c->m.name, XTAKE_WAIT_MS);
		return 0;
	}
	p->retry_at = now + XTAKE_RETRY_MS;
	xh->parked++;
	return 1;
}

/* A parked login refused (the name is still held elsewhere). */
static void refuse(struct xhost *xh, struct xpend *p)
{
	struct chatter *c = p->c;
	struct login_go g = p->g;
	xh_pend_free(xh, p);
	if (c)
		chat_login_claimed(xh->ch, c, 0, &g);
}

/* Runs at every pass of the broker's loop: the pending commands (up to
 * XHOST_PEND_MAX claims and private lines) are walked only while some
 * login is parked, and counted again as they are. */
int xtake_run(struct xhost *xh, long long now)
{
	long long t = -1;
	size_t still = 0;
	struct xpend *next;
	if (!xh->parked)
		return -1;
	for (struct xpend *p = xh->pend; p; p = next) {
		next = p->next;
		if (p->what != XP_CLAIM || !p->retry_at)
			continue;
		if (!p->c) { /* gone while waiting */
			xh_pend_free(xh, p);
		} else if (now >= p->retry_at) {
			p->retry_at = 0;
			if (xh_claim_send(xh, p) != 0)
				refuse(xh, p);
		} else {
			still++;
			if (t < 0 || p->retry_at - now < t)
				t = p->retry_at - now;
		}
	}
	xh->parked = still;
	return (int)t;
}

void xtake_drop(struct xhost *xh)
{
	struct xpend *next;
	for (struct xpend *p = xh->pend; p; p = next) {
		next = p->next;
		if (p->what == XP_CLAIM && p->retry_at)
			refuse(xh, p);
	}
	xh->parked = 0;
}

void xtake_took(struct chatter *c)
{
	c->took_over = 1;
	c->took_over_room[0] = '\0'; /* a join here; the room there heard
					a leave */
	snprintf(c->took_over_ip, sizeof c->took_over_ip, "another server");
}

/* The Unix time in ms. */
static long long wall_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0; /* taken as no age: acted on */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void xtake_act(struct chat *ch, const struct xtake *t, uint64_t ms)
{
	struct member *m = presence_find(&ch->pres, t->name, strlen(t->name));
	struct chatter *old = m ? chatter_of(m) : NULL;
	char from[XMOD_IP_MAX + XHOST_ID_MAX + 16];
	long long now = wall_ms();
	if (now && ms < (uint64_t)now && (uint64_t)now - ms > XTAKE_STALE_MS) {
		log_msg(LOG_NOTICE, "%s logged in again on host %s %llu ms "
			"ago: too late, that log-in has given up", t->name,
			t->host, (unsigned long long)((uint64_t)now - ms));
		return;
	}
	if (!old || !old->logged_in || !takeover_endable(old)) {
		log_msg(LOG_INFO, "%s logs in again on host %s: no session of "
			"an account here to end", t->name, t->host);
		return;
	}
	snprintf(from, sizeof from, "%s on host %s", t->ip, t->host);
	xhost_left(ch, old); /* the name given back in Redis */
	/* its room here hears it leave (the other hosts hear it from the
	 * leave event; a local takeover's room hears nothing, for the
	 * person stays on this host) */
	if (old->m.room)
		history_leave(ch, old);
	takeover_end(ch, old, from);
}
