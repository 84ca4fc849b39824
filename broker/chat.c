/* chat.c — what the broker does with each frame from a handler, and
 * with a handler that is gone (chat.h).
 *
 * Each request that asks for an answer gets exactly one reply, ending
 * with a FRAME_LAST frame (reply.h); every path below ends in one. */
#include "chat.h"
#include "cutoffs.h"
#include "exitcode.h"
#include "io.h"
#include "listing.h"
#include "log.h"
#include "namecmp.h"
#include "names.h"
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NAME_RULE "Names are 1 to 16 letters, digits, _ or -."
#define ROOM_RULE "Room names are 1 to 32 letters, digits, _ or -."
#define REFUSALS_LOGGED_PER_S 10
#define CUT_TOLD "You were cut off: too far behind; disconnected."
#define OUR_VERSION NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION)

void chat_fanout(struct chat *ch, const struct room *r,
		 const struct chatter *except, size_t len)
{
	/* Cuts are deferred (peer.h), so r->members is stable here. */
	for (size_t i = 0; i < r->count; i++) {
		struct chatter *c = chatter_of(r->members[i]);
		if (c != except)
			peer_queue(&c->peer, ch->frame, len);
	}
}

/* Encodes and sends to all of r but `except`. */
static void room_send(struct chat *ch, const struct room *r,
		      const struct chatter *except, int type, const char *a,
		      size_t alen, const char *text, size_t textlen)
{
	int n = frame_encode(ch->frame, (uint8_t)type, 0, a, alen, r->name,
			     strlen(r->name), text, textlen);
	if (n > 0)
		chat_fanout(ch, r, except, (size_t)n);
}

/* "ip port" (or just "ip", or "local") from the LOGIN text, for the
 * log; "?" for what is missing or too long. */
static void parse_origin(struct chatter *c, const char *t, size_t len)
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
static void greet(struct chat *ch, struct chatter *c, const char *verb)
{
	const struct room *r = c->m.room;
	char prefix[96];
	if (r->count == 1) {
		snprintf(prefix, sizeof prefix, "You are %salone in %s.",
			 verb, r->name);
		reply_only(ch, c, FRAME_INFO, prefix);
		return;
	}
	snprintf(prefix, sizeof prefix, "You are %sin %s with: ", verb,
		 r->name);
	list_members(ch, c, r, prefix, c);
}

/* A refused LOGIN is logged (the operator's record of failed logins;
 * at most REFUSALS_LOGGED_PER_S a second, so a handler that asks again
 * and again cannot fill the disk) and answered with ERR, which carries
 * our protocol version as an OK would.  The connection stays open for
 * another try, unless `fatal`: the ERR says so, and it is the last
 * frame the handler gets. */
static void refuse_login(struct chat *ch, struct chatter *c,
			 const struct frame *f, const char *name,
			 const char *why, const char *tell, int fatal)
{
	if (ratelog_take(&ch->refusals, io_now_ms()))
		log_msg(LOG_NOTICE, "login refused%s%s from %s port %s%s: %s",
			name ? " for " : "", name ? name : "", c->ip, c->port,
			f->flags & FRAME_REJOIN ? " (rejoin)" : "", why);
	reply_send(ch, c, FRAME_ERR, (uint8_t)(FRAME_LAST | OUR_VERSION |
		   (fatal ? FRAME_FATAL : 0)), NULL, NULL, tell, strlen(tell));
	if (fatal)
		peer_finish(&c->peer);
}

/* 1 when we serve the protocol version f announces; else it is refused
 * with one ERR, and the handler is dropped. */
static int version_served(struct chat *ch, struct chatter *c,
			  const struct frame *f)
{
	unsigned v = NATTER_PROTOCOL_OF(f->flags);
	if (v >= NATTER_PROTOCOL_OLDEST && v <= NATTER_PROTOCOL_VERSION) {
		c->proto = v;
		return 1;
	}
	char why[64], tell[128];
	snprintf(why, sizeof why, "protocol %u (this broker speaks %d to %d)",
		 v, NATTER_PROTOCOL_OLDEST, NATTER_PROTOCOL_VERSION);
	snprintf(tell, sizeof tell, "natter-session speaks protocol %u; this "
		 "broker speaks %d: restart the session.", v,
		 NATTER_PROTOCOL_VERSION);
	refuse_login(ch, c, f, NULL, why, tell, 1);
	return 0;
}

/* Takes the name and enters the room: 0, 1 when the name is taken, -1
 * when memory ran out (nothing is kept then). */
static int take_name(struct chat *ch, struct chatter *c, const struct frame *f,
		     const char *room, size_t roomlen)
{
	int r = presence_add(&ch->pres, &c->m, f->a, f->alen);
	if (r == 0 && !presence_enter(&ch->pres, &c->m, room, roomlen)) {
		presence_remove(&ch->pres, &c->m);
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
static void login(struct chat *ch, struct chatter *c, const struct frame *f)
{
	const char *room = f->blen ? f->b : DEFAULT_ROOM;
	size_t roomlen = f->blen ? f->blen : strlen(DEFAULT_ROOM);
	char name[NAME_LEN_MAX + 1], msg[96];
	parse_origin(c, f->text, f->textlen);
	peer_label(&c->peer, "(not logged in) from %s port %s", c->ip,
		   c->port);
	if (!version_served(ch, c, f))
		return;
	if (!name_valid(f->a, f->alen)) {
		refuse_login(ch, c, f, NULL, "invalid name", NAME_RULE, 0);
		return;
	}
	frame_field(name, sizeof name, f->a, f->alen);
	if ((f->flags & FRAME_REJOIN) && cutoffs_take(f->a, f->alen, c->ip,
						      c->port, io_now_ms())) {
		refuse_login(ch, c, f, name, "cut off before", CUT_TOLD, 1);
		return;
	}
	if (!room_valid(room, roomlen)) {
		refuse_login(ch, c, f, name, "invalid room", ROOM_RULE, 0);
		return;
	}
	int r = take_name(ch, c, f, room, roomlen);
	if (r > 0) {
		snprintf(msg, sizeof msg, "The name %s is already in use.",
			 name);
		refuse_login(ch, c, f, name, "name in use", msg, 0);
		return;
	}
	if (r < 0) {
		refuse_login(ch, c, f, name, "out of memory",
			     "The broker is out of memory.", 0);
		return;
	}
	c->logged_in = 1;
	peer_label(&c->peer, "%s from %s port %s", name, c->ip, c->port);
	const struct room *rm = c->m.room;
	log_msg(LOG_INFO, "login %s from %s port %s%s", name, c->ip, c->port,
		f->flags & FRAME_REJOIN ? " (rejoin)" : "");
	int rejoin = f->flags & FRAME_REJOIN;
	reply_send(ch, c, FRAME_OK, (uint8_t)(OUR_VERSION | FRAME_MARKS_LAST |
		   (rejoin ? FRAME_LAST : 0)), c->m.name, rm->name, NULL, 0);
	if (rejoin)
		return; /* a re-announce after a broker restart: quiet */
	room_send(ch, rm, c, FRAME_JOINED, name, strlen(name), NULL, 0);
	transcript_line(&ch->tr, rm->name, "[%s] has joined the chat", name);
	greet(ch, c, "");
}

static void say(struct chat *ch, struct chatter *c, const struct frame *f,
		int type)
{
	const struct room *r = c->m.room;
	room_send(ch, r, c, type, c->m.name, strlen(c->m.name), f->text,
		  f->textlen);
	if (type == FRAME_MSG)
		transcript_line(&ch->tr, r->name, "[%s] : %.*s", c->m.name,
				(int)f->textlen, f->text);
	else
		transcript_line(&ch->tr, r->name, "* %s %.*s", c->m.name,
				(int)f->textlen, f->text);
}

/* Private to oneself is allowed: it is harmless and shows what others
 * would see.  The sender's OK repeats the text with the recipient's own
 * spelling, so the person sees what was sent and to whom. */
static void priv(struct chat *ch, struct chatter *c, const struct frame *f)
{
	struct member *to = NULL;
	if (name_valid(f->a, f->alen))
		to = presence_find(&ch->pres, f->a, f->alen);
	if (!to) {
		char msg[FRAME_FIELD_MAX + 32];
		snprintf(msg, sizeof msg, "No such user: %.*s", (int)f->alen,
			 f->a);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	int n = frame_encode(ch->frame, FRAME_PRIVATE, 0, c->m.name,
			     strlen(c->m.name), NULL, 0, f->text, f->textlen);
	if (n > 0)
		peer_queue(&chatter_of(to)->peer, ch->frame, (size_t)n);
	reply_send(ch, c, FRAME_OK, FRAME_LAST, to->name, NULL, f->text,
		   f->textlen);
}

static void join(struct chat *ch, struct chatter *c, const struct frame *f)
{
	const struct room *old = c->m.room;
	char msg[96], oldname[ROOM_LEN_MAX + 1], to[ROOM_LEN_MAX + 1];
	if (!room_valid(f->b, f->blen)) {
		reply_only(ch, c, FRAME_ERR, ROOM_RULE);
		return;
	}
	if (name_same(old->name, strlen(old->name), f->b, f->blen)) {
		snprintf(msg, sizeof msg, "You are already in %s.", old->name);
		reply_only(ch, c, FRAME_INFO, msg);
		return;
	}
	/* The new room's own spelling if it exists, else the asker's. */
	const struct room *dest = presence_room(&ch->pres, f->b, f->blen);
	if (dest)
		memcpy(to, dest->name, sizeof to);
	else
		frame_field(to, sizeof to, f->b, f->blen);
	memcpy(oldname, old->name, sizeof oldname); /* old may be freed */
	room_send(ch, old, c, FRAME_LEFT, c->m.name, strlen(c->m.name), to,
		  strlen(to));
	transcript_line(&ch->tr, oldname, "[%s] has moved to room %s",
			c->m.name, to);
	const struct room *r = presence_enter(&ch->pres, &c->m, to, strlen(to));
	if (!r) {
		peer_end(&c->peer, "out of memory moving rooms");
		return;
	}
	room_send(ch, r, c, FRAME_JOINED, c->m.name, strlen(c->m.name), NULL,
		  0);
	transcript_line(&ch->tr, r->name, "[%s] has joined the chat",
			c->m.name);
	greet(ch, c, "now ");
}

static void who(struct chat *ch, struct chatter *c)
{
	const struct room *r = c->m.room;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "In %s (%zu): ", r->name, r->count);
	list_members(ch, c, r, prefix, NULL);
}

/* A frame that breaks the protocol: the handler is disconnected. */
static void refuse(struct chatter *c, const struct frame *f, const char *what)
{
	log_msg(LOG_WARNING, "protocol error from %s port %s: %s (type %u)",
		c->ip, c->port, what, (unsigned)f->type);
	peer_end(&c->peer, "protocol error; disconnected");
}

/* The peer layer's `frame`: a frame is checked for its type's shape
 * (natter-protocol.h) before anything reads it. */
static void chat_frame(struct peer *p, const struct frame *f, void *arg)
{
	struct chat *ch = arg;
	struct chatter *c = (struct chatter *)(void *)p; /* peer is first */
	if (!c->logged_in && f->type != FRAME_LOGIN) {
		refuse(c, f, "a frame before LOGIN");
		return;
	}
	if (f->type >= FRAME_TO_BROKER_END) {
		refuse(c, f, "a broker-to-handler frame type");
		return;
	}
	if (!frame_shape_ok(f)) {
		refuse(c, f, "a frame of the wrong shape");
		return;
	}
	switch (f->type) {
	case FRAME_LOGIN:
		if (c->logged_in)
			refuse(c, f, "a second LOGIN");
		else
			login(ch, c, f);
		break;
	case FRAME_SAY: say(ch, c, f, FRAME_MSG); break;
	case FRAME_ME: say(ch, c, f, FRAME_ACTION); break;
	case FRAME_PRIV: priv(ch, c, f); break;
	case FRAME_JOIN: join(ch, c, f); break;
	case FRAME_WHO: who(ch, c); break;
	case FRAME_ROOMS: list_rooms(ch, c); break;
	default: refuse(c, f, "an unknown frame type"); break;
	}
}

/* Logout: LEFT text="" to c's room, out of the room and the names. */
static void announce_leave(struct chat *ch, struct chatter *c)
{
	const struct room *r = c->m.room;
	if (r) {
		int n = frame_encode_str(ch->frame, FRAME_LEFT, 0, c->m.name,
					 r->name, NULL);
		if (n > 0)
			chat_fanout(ch, r, c, (size_t)n);
		transcript_line(&ch->tr, r->name, "[%s] has left the chat",
				c->m.name);
	}
	log_msg(LOG_INFO, "logout %s from %s port %s", c->m.name, c->ip,
		c->port);
}

/* The peer layer's `gone`: the person leaves, and the room hears of
 * it unless the broker is stopping. */
static void chat_gone(struct peer *p, enum peer_why why, void *arg)
{
	struct chat *ch = arg;
	struct chatter *c = (struct chatter *)(void *)p;
	if (!c->logged_in)
		return;
	if (why != PEER_SHUTDOWN)
		announce_leave(ch, c);
	if (why == PEER_CUT_OFF) /* a REJOIN of this session is refused */
		cutoffs_note(c->m.name, c->ip, c->port, io_now_ms());
	presence_remove(&ch->pres, &c->m);
	c->logged_in = 0;
	peer_label(p, "(not logged in) from %s port %s", c->ip, c->port);
}

const struct peer_ops chat_peer_ops = { chat_frame, chat_gone };

struct peer *chat_accept(struct chat *ch, int fd)
{
	struct peer *p = peer_new(ch->peers, fd, sizeof(struct chatter));
	if (!p)
		return NULL;
	struct chatter *c = (struct chatter *)(void *)p;
	memcpy(c->ip, "?", 2);
	memcpy(c->port, "?", 2);
	peer_label(p, "(not logged in) from ? port ?");
	return p;
}

int chat_init(struct chat *ch, struct peers *peers, const char *transcript)
{
	ch->peers = peers;
	ch->refusals = (struct ratelog){ .what = "logins refused",
					 .per_second = REFUSALS_LOGGED_PER_S };
	if (transcript_open(&ch->tr, transcript) != 0)
		return EXIT_USAGE; /* logged */
	if (presence_init(&ch->pres) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", strerror(errno));
		return EXIT_TEMP;
	}
	return 0;
}

void chat_free(struct chat *ch)
{
	if (ch->pres.names)
		presence_free(&ch->pres);
	transcript_close(&ch->tr);
}

void chat_reopen(struct chat *ch)
{
	if (transcript_reopen(&ch->tr) == 0)
		log_msg(LOG_INFO, "SIGHUP: reopened the log and transcript");
	else /* why, and what instead, is logged */
		log_msg(LOG_INFO, "SIGHUP: reopened the log");
}

long long chat_due(const struct chat *ch)
{
	return ratelog_due(&ch->refusals);
}

void chat_timers(struct chat *ch, long long now)
{
	ratelog_flush(&ch->refusals, now);
}
