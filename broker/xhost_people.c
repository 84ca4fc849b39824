/* xhost_people.c — the people of other hosts as this broker knows them
 * (from the snapshot, then the event stream), what their comings and
 * goings look like here, and private lines from them.
 *
 * At most XHOST_REMOTE_MAX people on at most XHOST_HOSTS_MAX other
 * hosts, in an array searched linearly (a /who, a login's name check,
 * an event: thousands of comparisons at most).  Past either bound a
 * person is not known here (one log line per XHOST_BAD_LOG_MS): not
 * counted, not reachable by /msg.  A host taken for dead, once its
 * people are gone, gives its place to the next new host. */
#include "xhost_int.h"

#include "chat.h"
#include "ignore.h"
#include "log.h"
#include "namecmp.h"
#include "reply.h"
#include "transcript.h"

#include <stdio.h>
#include <string.h>

#define XP_STR(x) #x
#define XP_NUM(x) XP_STR(x) /* a bound's number in a log line */

void xp_clear(struct xhost *xh)
{
	xh->npeople = 0;
	xh->nhosts = 0;
}

/* A place in the full table: a host taken for dead whose people are
 * all gone (a dead one that never came back must not hold its place
 * until the next snapshot; should it come back after all, its people
 * come in quietly, as after a snapshot); -1 if none. */
static int host_reusable(const struct xhost *xh)
{
	for (int i = 0; i < xh->nhosts; i++) {
		size_t k = 0;
		if (!xh->host_gone[i])
			continue;
		while (k < xh->npeople && xh->people[k].host != i)
			k++;
		if (k == xh->npeople)
			return i;
	}
	return -1;
}

/* The host's index, added when new; -1 when the table is full. */
static int host_index(struct xhost *xh, const char *h, size_t len)
{
	for (int i = 0; i < xh->nhosts; i++)
		if (strlen(xh->hosts[i]) == len &&
		    memcmp(xh->hosts[i], h, len) == 0)
			return i;
	if (!xwire_host_ok(h, len)) { /* a snapshot's: events are checked */
		xh_bad(xh, "a host with a bad ID in Redis' set of hosts");
		return -1;
	}
	int i = xh->nhosts < XHOST_HOSTS_MAX ? xh->nhosts++ :
		host_reusable(xh);
	if (i < 0) {
		xh_bad(xh, "a host past the bound (" XP_NUM(XHOST_HOSTS_MAX)
		       " other hosts)");
		return -1;
	}
	memcpy(xh->hosts[i], h, len);
	xh->hosts[i][len] = '\0';
	xh->host_gone[i] = 0;
	return i;
}

struct xperson *xp_find(struct xhost *xh, const char *name, size_t len)
{
	for (size_t i = 0; i < xh->npeople; i++)
		if (name_same(xh->people[i].name, strlen(xh->people[i].name),
			      name, len))
			return &xh->people[i];
	return NULL;
}

static void put(char *dst, size_t cap, const struct xstr *s)
{
	size_t n = s->len < cap - 1 ? s->len : cap - 1;
	memcpy(dst, s->s, n);
	dst[n] = '\0';
}

/* The person (added when new); NULL past the bound. */
static struct xperson *person_set(struct xhost *xh, int host,
				  const struct xstr *name,
				  const struct xstr *room)
{
	struct xperson *p = xp_find(xh, name->s, name->len);
	if (!p) {
		if (xh->npeople == XHOST_REMOTE_MAX) {
			xh_bad(xh, "a person past the bound ("
			       XP_NUM(XHOST_REMOTE_MAX) " of other hosts)");
			return NULL;
		}
		p = &xh->people[xh->npeople++];
		p->away[0] = '\0';
	}
	put(p->name, sizeof p->name, name);
	put(p->room, sizeof p->room, room);
	p->host = host;
	return p;
}

static void person_drop(struct xhost *xh, struct xperson *p)
{
	*p = xh->people[--xh->npeople];
}

/* Host h's away marks from the snapshot, on its people known here. */
static void aways_load(struct xhost *xh, int h, const struct resp_value *a)
{
	if (a->type != RESP_ARRAY || a->n % 2) {
		xh_bad(xh, "a bad list of away marks in a snapshot");
		return;
	}
	for (size_t i = 0; i < a->n; i += 2) {
		struct xstr name, msg;
		struct xperson *p;
		if (xwire_away(&a->elem[i], &a->elem[i + 1], &name, &msg) != 0)
			xh_bad(xh, "a bad away mark in a snapshot");
		else if ((p = xp_find(xh, name.s, name.len)) && p->host == h)
			put(p->away, sizeof p->away, &msg);
	}
}

void xp_load(struct xhost *xh, const char *host, size_t hlen,
	     const struct resp_value *people, const struct resp_value *aways)
{
	int h = host_index(xh, host, hlen);
	if (h < 0 || people->type != RESP_ARRAY || people->n % 2)
		return;
	for (size_t i = 0; i < people->n; i += 2) {
		struct xstr name, room;
		if (xwire_person(&people->elem[i + 1], &name, &room) == 0)
			(void)person_set(xh, h, &name, &room);
		else
			xh_bad(xh, "a bad person in a snapshot");
	}
	aways_load(xh, h, aways);
}

/* The room here hears JOINED or LEFT about name (text: the other
 * room, or ""); the transcript too. */
static void tell_room(struct xhost *xh, int type, const char *name,
		      const char *room, const char *text)
{
	struct chat *ch = xh->ch;
	const struct room *r = room[0] ? presence_room(&ch->pres, room,
						       strlen(room)) : NULL;
	if (!r)
		return;
	int n = frame_encode_str(ch->frame, (uint8_t)type, 0, name, r->name,
				 text);
	if (n > 0)
		chat_fanout(ch, r, NULL, (size_t)n);
	if (type == FRAME_JOINED)
		transcript_line(&ch->tr, r->name, text[0] ?
				"[%s] has come in from room %s" :
				"[%s] has joined the chat%s", name, text);
	else
		transcript_line(&ch->tr, r->name, text[0] ?
				"[%s] has moved to room %s" :
				"[%s] has left the chat%s", name, text);
}

/* Every person of host h out; each one's room hears LEFT when loud. */
static void host_drop(struct xhost *xh, int h, int loud)
{
	for (size_t i = xh->npeople; i-- > 0;) {
		struct xperson *p = &xh->people[i];
		if (p->host != h)
			continue;
		if (loud)
			tell_room(xh, FRAME_LEFT, p->name, p->room, "");
		person_drop(xh, p);
	}
}

void xp_event(struct xhost *xh, const struct xev *ev)
{
	char room[ROOM_LEN_MAX + 1], old[ROOM_LEN_MAX + 1];
	int h = host_index(xh, ev->host.s, ev->host.len);
	if (h < 0)
		return;
	if (ev->kind == XEV_RESET || ev->kind == XEV_DEAD) {
		host_drop(xh, h, ev->kind == XEV_DEAD);
		if (ev->kind == XEV_DEAD) {
			xh->host_gone[h] = 1;
			log_msg(LOG_NOTICE, "presence across hosts: host %s "
				"is gone", xh->hosts[h]);
		}
		return;
	}
	int back = ev->kind == XEV_HERE && xh->host_gone[h];
	if (!back)
		xh->host_gone[h] = 0; /* it runs as usual */
	struct xperson *p = xp_find(xh, ev->name.s, ev->name.len);
	put(room, sizeof room, &ev->room);
	put(old, sizeof old, &ev->old);
	if (ev->kind == XEV_LEAVE) {
		if (p && p->host == h) {
			tell_room(xh, FRAME_LEFT, p->name, p->room, "");
			person_drop(xh, p);
		}
		return;
	}
	if (ev->kind == XEV_AWAY) { /* quiet, as here */
		if (p && p->host == h)
			put(p->away, sizeof p->away, &ev->away);
		return;
	}
	int was_here = p && p->host == h && name_same(p->room,
			strlen(p->room), room, strlen(room));
	if (p && p->host == h && ev->kind == XEV_MOVE)
		memcpy(old, p->room, sizeof old);
	p = person_set(xh, h, &ev->name, &ev->room);
	if (!p || (ev->kind == XEV_HERE && !back) || was_here)
		return;
	if (ev->kind == XEV_MOVE)
		tell_room(xh, FRAME_LEFT, p->name, old, room);
	tell_room(xh, FRAME_JOINED, p->name, room,
		  ev->kind == XEV_MOVE ? old : "");
}

void xp_msg(struct xhost *xh, const struct xmsg *m)
{
	struct chat *ch = xh->ch;
	char from[NAME_LEN_MAX + 1];
	struct member *to = presence_find(&ch->pres, m->to.s, m->to.len);
	put(from, sizeof from, &m->from);
	if (!to) {
		log_msg(LOG_INFO, "presence across hosts: a private line "
			"from %s to %.*s, who is not here any more", from,
			(int)m->to.len, m->to.s);
		return;
	}
	struct chatter *tc = chatter_of(to);
	if (ignore_blocks(tc, from))
		return;
	int n = frame_encode(ch->frame, FRAME_PRIVATE, 0, from, strlen(from),
			     m->id.s, m->id.len, m->text.s, m->text.len);
	if (n > 0)
		peer_queue(&tc->peer, ch->frame, (size_t)n);
}

struct tell {
	struct xhost *xh;
	const char *text;
};

static void tell_members(const struct room *r, void *arg)
{
	struct tell *t = arg;
	for (size_t i = 0; i < r->count; i++)
		reply_send(t->xh->ch, chatter_of(r->members[i]), FRAME_INFO, 0,
			   NULL, NULL, t->text, strlen(t->text));
}

void xp_tell_all(struct xhost *xh, const char *text)
{
	struct tell t = { xh, text };
	presence_each_room(&xh->ch->pres, tell_members, &t);
}

size_t xhost_room_count(const struct chat *ch, const char *room)
{
	size_t n = 0;
	const struct xhost *xh = ch->xh;
	for (size_t i = 0; xh && i < xh->npeople; i++)
		if (name_same(xh->people[i].room, strlen(xh->people[i].room),
			      room, strlen(room)))
			n++;
	return n;
}

void xhost_each_in_room(const struct chat *ch, const char *room,
			void (*fn)(void *arg, const char *name,
				   const char *away), void *arg)
{
	const struct xhost *xh = ch->xh;
	for (size_t i = 0; xh && i < xh->npeople; i++)
		if (name_same(xh->people[i].room, strlen(xh->people[i].room),
			      room, strlen(room)))
			fn(arg, xh->people[i].name, xh->people[i].away);
}

void xhost_each_room(const struct chat *ch,
		     void (*fn)(void *arg, const char *room, size_t n),
		     void *arg)
{
	const struct xhost *xh = ch->xh;
	for (size_t i = 0; xh && i < xh->npeople; i++) {
		const char *r = xh->people[i].room;
		size_t j = 0;
		if (!r[0])
			continue;
		while (j < i && !name_same(xh->people[j].room,
					   strlen(xh->people[j].room), r,
					   strlen(r)))
			j++;
		if (j == i) /* its first person: counted once */
			fn(arg, r, xhost_room_count(ch, r));
	}
}

size_t xhost_room_total(const struct chat *ch)
{
	return ch->xh ? ch->xh->npeople : 0;
}

size_t xhost_hosts(const struct chat *ch)
{
	const struct xhost *xh = ch->xh;
	size_t n = 0;
	for (int i = 0; xh && i < xh->nhosts; i++)
		n += !xh->host_gone[i];
	return n;
}

void xhost_each_person(const struct chat *ch,
		       void (*fn)(void *arg, const char *name,
				  const char *room, const char *host),
		       void *arg)
{
	const struct xhost *xh = ch->xh;
	for (int h = 0; xh && h < xh->nhosts; h++)
		for (size_t i = 0; i < xh->npeople; i++)
			if (xh->people[i].host == h)
				fn(arg, xh->people[i].name,
				   xh->people[i].room, xh->hosts[h]);
}
