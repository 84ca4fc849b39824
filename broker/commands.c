/* commands.c — what the broker does with each frame from a handler.
 *
 * Each request that asks for an answer gets exactly one reply, ending
 * with a FRAME_LAST frame (reply.h); every path below ends in one.
 *
 * Fanout encodes a frame once (into s->frame) and appends the same bytes
 * to each recipient's queue: O(recipients), no allocation per message
 * while queues have room. */
#include "server.h"
#include "io.h"
#include "log.h"
#include "namecmp.h"
#include "names.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

#define NAME_RULE "Names are 1 to 16 letters, digits, _ or -."
#define ROOM_RULE "Room names are 1 to 32 letters, digits, _ or -."
#define REFUSALS_LOGGED_PER_S 10

void cmd_fanout(struct server *s, const struct room *r,
		const struct conn *except, size_t len)
{
	/* Cuts are deferred (server.h), so r->members is stable here. */
	for (size_t i = 0; i < r->count; i++) {
		struct conn *c = conn_of(r->members[i]);
		if (c != except)
			conn_queue(s, c, s->frame, len);
	}
}

/* Encodes and sends to all of r but `except`. */
static void room_send(struct server *s, const struct room *r,
		      const struct conn *except, int type, const char *a,
		      size_t alen, const char *text, size_t textlen)
{
	int n = frame_encode(s->frame, (uint8_t)type, 0, a, alen, r->name,
			     strlen(r->name), text, textlen);
	if (n > 0)
		cmd_fanout(s, r, except, (size_t)n);
}

/* "ip port" (or just "ip", or "local") from the LOGIN text, for the
 * log; "?" for what is missing or too long. */
static void parse_origin(struct conn *c, const char *t, size_t len)
{
	const char *sp = memchr(t, ' ', len);
	size_t iplen = sp ? (size_t)(sp - t) : len;
	size_t portlen = sp ? len - iplen - 1 : 0;
	if (iplen > 0 && iplen < sizeof c->ip)
		frame_field(c->ip, sizeof c->ip, t, iplen);
	if (portlen > 0 && portlen < sizeof c->port)
		frame_field(c->port, sizeof c->port, sp + 1, portlen);
}

/* Ends the reply to LOGIN and JOIN: list_members marks its last line
 * FRAME_LAST too. */
static void greet(struct server *s, struct conn *c, const char *verb)
{
	const struct room *r = c->m.room;
	char prefix[96];
	if (r->count == 1) {
		snprintf(prefix, sizeof prefix, "You are %salone in %s.",
			 verb, r->name);
		reply_only(s, c, FRAME_INFO, prefix);
		return;
	}
	snprintf(prefix, sizeof prefix, "You are %sin %s with: ", verb,
		 r->name);
	list_members(s, c, r, prefix, c);
}

void cmd_refusals_flush(struct server *s, long long now)
{
	if (now - s->refusal_window < 1000)
		return;
	if (s->refusals_hidden)
		log_msg(LOG_NOTICE, "%u more logins refused",
			s->refusals_hidden);
	s->refusal_window = now;
	s->refusals_logged = s->refusals_hidden = 0;
}

long long cmd_refusals_due(const struct server *s)
{
	return s->refusals_hidden ? s->refusal_window + 1000 : -1;
}

/* At most REFUSALS_LOGGED_PER_S refused logins a second reach the log,
 * so a handler that asks again and again (natter-session allows three
 * tries, another might loop) cannot fill the disk; the rest are counted
 * and the count logged when the second is over. */
static int refusal_loggable(struct server *s)
{
	cmd_refusals_flush(s, io_now_ms());
	if (s->refusals_logged < REFUSALS_LOGGED_PER_S) {
		s->refusals_logged++;
		return 1;
	}
	s->refusals_hidden++;
	return 0;
}

/* A refused LOGIN is logged (the operator's record of failed logins,
 * within the bound above) and answered with ERR; the connection stays
 * open for another try. */
static void refuse_login(struct server *s, struct conn *c,
			 const struct frame *f, const char *name,
			 const char *why, const char *tell)
{
	if (refusal_loggable(s))
		log_msg(LOG_NOTICE, "login refused%s%s from %s port %s%s: %s",
			name ? " for " : "", name ? name : "", c->ip, c->port,
			f->flags & FRAME_REJOIN ? " (rejoin)" : "", why);
	reply_only(s, c, FRAME_ERR, tell);
}

/* Takes the name and enters the room: 0, 1 when the name is taken, -1
 * when memory ran out (nothing is kept then). */
static int take_name(struct server *s, struct conn *c, const struct frame *f,
		     const char *room, size_t roomlen)
{
	int r = presence_add(&s->pres, &c->m, f->a, f->alen);
	if (r == 0 && !presence_enter(&s->pres, &c->m, room, roomlen)) {
		presence_remove(&s->pres, &c->m);
		r = -1;
	}
	return r;
}

/* A name is first come, first served.  After a broker restart the
 * handlers re-announce their people (FRAME_REJOIN) in whatever order
 * they reconnect; a new login may take a name before its old holder's
 * REJOIN arrives.  That REJOIN is then refused like any other login for
 * a taken name (the holder is never disturbed), and natter-session ends
 * the refused session with a notice. */
static void login(struct server *s, struct conn *c, const struct frame *f)
{
	const char *room = f->blen ? f->b : DEFAULT_ROOM;
	size_t roomlen = f->blen ? f->blen : strlen(DEFAULT_ROOM);
	char name[NAME_LEN_MAX + 1], msg[96];
	parse_origin(c, f->text, f->textlen);
	if (!name_valid(f->a, f->alen)) {
		refuse_login(s, c, f, NULL, "invalid name", NAME_RULE);
		return;
	}
	frame_field(name, sizeof name, f->a, f->alen);
	if (!room_valid(room, roomlen)) {
		refuse_login(s, c, f, name, "invalid room", ROOM_RULE);
		return;
	}
	int r = take_name(s, c, f, room, roomlen);
	if (r > 0) {
		snprintf(msg, sizeof msg, "The name %s is already in use.",
			 name);
		refuse_login(s, c, f, name, "name in use", msg);
		return;
	}
	if (r < 0) {
		refuse_login(s, c, f, name, "out of memory",
			     "The broker is out of memory.");
		return;
	}
	c->logged_in = 1;
	const struct room *rm = c->m.room;
	log_msg(LOG_INFO, "login %s from %s port %s%s", name, c->ip, c->port,
		f->flags & FRAME_REJOIN ? " (rejoin)" : "");
	int rejoin = f->flags & FRAME_REJOIN;
	reply_send(s, c, FRAME_OK, (uint8_t)(FRAME_MARKS_LAST |
		   (rejoin ? FRAME_LAST : 0)), c->m.name, rm->name, NULL, 0);
	if (rejoin)
		return; /* a re-announce after a broker restart: quiet */
	room_send(s, rm, c, FRAME_JOINED, name, strlen(name), NULL, 0);
	transcript_line(&s->tr, rm->name, "[%s] has joined the chat", name);
	greet(s, c, "");
}

static void say(struct server *s, struct conn *c, const struct frame *f,
		int type)
{
	const struct room *r = c->m.room;
	room_send(s, r, c, type, c->m.name, strlen(c->m.name), f->text,
		  f->textlen);
	if (type == FRAME_MSG)
		transcript_line(&s->tr, r->name, "[%s] : %.*s", c->m.name,
				(int)f->textlen, f->text);
	else
		transcript_line(&s->tr, r->name, "* %s %.*s", c->m.name,
				(int)f->textlen, f->text);
}

/* Private to oneself is allowed: it is harmless and shows what others
 * would see.  The sender's OK repeats the text with the recipient's own
 * spelling, so the person sees what was sent and to whom. */
static void priv(struct server *s, struct conn *c, const struct frame *f)
{
	struct member *to = NULL;
	if (name_valid(f->a, f->alen))
		to = presence_find(&s->pres, f->a, f->alen);
	if (!to) {
		char msg[FRAME_FIELD_MAX + 32];
		snprintf(msg, sizeof msg, "No such user: %.*s", (int)f->alen,
			 f->a);
		reply_only(s, c, FRAME_ERR, msg);
		return;
	}
	int n = frame_encode(s->frame, FRAME_PRIVATE, 0, c->m.name,
			     strlen(c->m.name), NULL, 0, f->text, f->textlen);
	if (n > 0)
		conn_queue(s, conn_of(to), s->frame, (size_t)n);
	reply_send(s, c, FRAME_OK, FRAME_LAST, to->name, NULL, f->text,
		   f->textlen);
}

static void join(struct server *s, struct conn *c, const struct frame *f)
{
	const struct room *old = c->m.room;
	char msg[96], oldname[ROOM_LEN_MAX + 1], to[ROOM_LEN_MAX + 1];
	if (!room_valid(f->b, f->blen)) {
		reply_only(s, c, FRAME_ERR, ROOM_RULE);
		return;
	}
	if (name_same(old->name, strlen(old->name), f->b, f->blen)) {
		snprintf(msg, sizeof msg, "You are already in %s.", old->name);
		reply_only(s, c, FRAME_INFO, msg);
		return;
	}
	/* The new room's own spelling if it exists, else the asker's. */
	const struct room *dest = presence_room(&s->pres, f->b, f->blen);
	if (dest)
		memcpy(to, dest->name, sizeof to);
	else
		frame_field(to, sizeof to, f->b, f->blen);
	memcpy(oldname, old->name, sizeof oldname); /* old may be freed */
	room_send(s, old, c, FRAME_LEFT, c->m.name, strlen(c->m.name), to,
		  strlen(to));
	transcript_line(&s->tr, oldname, "[%s] has moved to room %s",
			c->m.name, to);
	const struct room *r = presence_enter(&s->pres, &c->m, to, strlen(to));
	if (!r) {
		conn_end(s, c, "out of memory moving rooms");
		return;
	}
	room_send(s, r, c, FRAME_JOINED, c->m.name, strlen(c->m.name), NULL,
		  0);
	transcript_line(&s->tr, r->name, "[%s] has joined the chat",
			c->m.name);
	greet(s, c, "now ");
}

static void who(struct server *s, struct conn *c)
{
	const struct room *r = c->m.room;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "In %s (%zu): ", r->name, r->count);
	list_members(s, c, r, prefix, NULL);
}

static void refuse(struct server *s, struct conn *c, const struct frame *f,
		   const char *what)
{
	log_msg(LOG_WARNING, "protocol error from %s port %s: %s (type %u)",
		c->ip, c->port, what, (unsigned)f->type);
	conn_end(s, c, "protocol error; disconnected");
}

void cmd_dispatch(struct server *s, struct conn *c, const struct frame *f)
{
	if (!c->logged_in) {
		if (f->type == FRAME_LOGIN)
			login(s, c, f);
		else
			refuse(s, c, f, "a frame before LOGIN");
		return;
	}
	switch (f->type) {
	case FRAME_SAY: say(s, c, f, FRAME_MSG); break;
	case FRAME_ME: say(s, c, f, FRAME_ACTION); break;
	case FRAME_PRIV: priv(s, c, f); break;
	case FRAME_JOIN: join(s, c, f); break;
	case FRAME_WHO: who(s, c); break;
	case FRAME_ROOMS: list_rooms(s, c); break;
	case FRAME_LOGIN: refuse(s, c, f, "a second LOGIN"); break;
	default: refuse(s, c, f, "a broker-to-handler frame type"); break;
	}
}
