/* chat.c — what the broker does with each frame from a handler, and
 * with a handler that is gone (chat.h).
 *
 * Each request that asks for an answer gets exactly one reply, ending
 * with a FRAME_LAST frame (reply.h); every path below ends in one. */
#include "chat.h"
#include "away.h"
#include "cutoffs.h"
#include "exitcode.h"
#include "files.h"
#include "xferproto.h"
#include "ignore.h"
#include "io.h"
#include "listing.h"
#include "log.h"
#include "mailbox.h"
#include "modcmd.h"
#include "namecmp.h"
#include "names.h"
#include "reply.h"
#include "store/store.h"
#include "takeover.h"

#include <ctype.h>
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

uint64_t chat_number(const char *s, size_t len)
{
	uint64_t v = 0;
	if (len == 0 || len > LINE_NO_MAX - 1)
		return 0; /* 19 digits always fit in 64 bits */
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* An origin id: [A-Za-z0-9._-], 1 to ORIGIN_MAX bytes. */
static int origin_valid(const char *s, size_t len)
{
	if (len == 0 || len > ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

/* The LOGIN text "ip port ORIGIN SINCE REPLAY" (each word may be
 * missing): ip and port for the log ("?" for what is missing or too
 * long), the origin kept, SINCE or REPLAY in *n (by `rejoin`). */
static void parse_origin(struct chatter *c, const char *t, size_t len,
			 int rejoin, uint64_t *n)
{
	const char *w[5];
	size_t wl[5], k = 0, i = 0;
	while (k < 5 && i < len) {
		size_t j = i;
		while (j < len && t[j] != ' ')
			j++;
		w[k] = t + i;
		wl[k++] = j - i;
		i = j + 1;
	}
	if (k > 0 && wl[0] > 0 && wl[0] < sizeof c->ip)
		frame_field(c->ip, sizeof c->ip, w[0], wl[0]);
	if (k > 1 && wl[1] > 0 && wl[1] < sizeof c->port)
		frame_field(c->port, sizeof c->port, w[1], wl[1]);
	c->origin[0] = '\0';
	if (k > 2 && origin_valid(w[2], wl[2]))
		frame_field(c->origin, sizeof c->origin, w[2], wl[2]);
	*n = HISTORY_DEFAULT;
	if (rejoin)
		*n = k > 3 ? chat_number(w[3], wl[3]) : 0;
	else if (k > 4)
		*n = chat_number(w[4], wl[4]);
}

/* The greeting in the reply to LOGIN and JOIN; the replay and LIVE
 * (history.c) end the reply. */
static void greet(struct chat *ch, struct chatter *c, const char *verb)
{
	const struct room *r = c->m.room;
	char prefix[96];
	if (r->count == 1 && xhost_room_count(ch, r->name) == 0) {
		snprintf(prefix, sizeof prefix, "You are %salone in %s.",
			 verb, r->name);
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, prefix,
			   strlen(prefix));
		return;
	}
	snprintf(prefix, sizeof prefix, "You are %sin %s with: ", verb,
		 r->name);
	list_members(ch, c, r, prefix, c, 0);
}

/* A refused LOGIN is logged (the operator's record of failed logins;
 * at most REFUSALS_LOGGED_PER_S a second, so a handler that asks again
 * and again cannot fill the disk) and answered with ERR, which carries
 * our protocol version as an OK would.  The connection stays open for
 * another try, unless `fatal`: the ERR says so, and it is the last
 * frame the handler gets. */
static void refuse_login(struct chat *ch, struct chatter *c, uint8_t flags,
			 const char *name, const char *why, const char *tell,
			 int fatal)
{
	mod_count_refused(ch, why);
	if (ratelog_take(&ch->refusals, io_now_ms()))
		log_msg(LOG_NOTICE, "login refused%s%s from %s port %s%s: %s",
			name ? " for " : "", name ? name : "", c->ip, c->port,
			flags & FRAME_REJOIN ? " (rejoin)" : "", why);
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
	refuse_login(ch, c, f->flags, NULL, why, tell, 1);
	return 0;
}

static void login_go(struct chat *ch, struct chatter *c,
		     const struct login_go *g);

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
	uint64_t n;
	uint8_t fl = f->flags;
	parse_origin(c, f->text, f->textlen, fl & FRAME_REJOIN, &n);
	peer_label(&c->peer, "(not logged in) from %s port %s", c->ip,
		   c->port);
	if (!version_served(ch, c, f))
		return;
	if (!name_valid(f->a, f->alen)) {
		refuse_login(ch, c, fl, NULL, "invalid name", NAME_RULE, 0);
		return;
	}
	frame_field(name, sizeof name, f->a, f->alen);
	if (mod_login_refused(ch, c, name))
		return;
	if ((f->flags & FRAME_REJOIN) && cutoffs_take(f->a, f->alen, c->ip,
						      c->port, io_now_ms())) {
		refuse_login(ch, c, fl, name, "cut off before", CUT_TOLD, 1);
		return;
	}
	if (!room_valid(room, roomlen)) {
		refuse_login(ch, c, fl, name, "invalid room", ROOM_RULE, 0);
		return;
	}
	int r = presence_add(&ch->pres, &c->m, f->a, f->alen);
	if (r > 0 && takeover_claim(ch, c, f, name)) /* its password again */
		r = presence_add(&ch->pres, &c->m, f->a, f->alen);
	struct login_go g = { .flags = fl, .n = n };
	frame_field(g.room, sizeof g.room, room, roomlen);
	int x = r == 0 ? xhost_claim(ch, c, &g) : 0; /* across hosts */
	if (x < 0)
		presence_remove(&ch->pres, &c->m);
	if (r > 0 || x < 0) {
		snprintf(msg, sizeof msg, "The name %s is already in use.",
			 name);
		refuse_login(ch, c, fl, name, "name in use", msg, 0);
		return;
	}
	if (r < 0) {
		refuse_login(ch, c, fl, name, "out of memory",
			     "The broker is out of memory.", 0);
		return;
	}
	if (x == 0)
		login_go(ch, c, &g);
}

/* The LOGIN's name is ours (here, and across hosts). */
static void login_go(struct chat *ch, struct chatter *c,
		     const struct login_go *g)
{
	int rejoin = g->flags & FRAME_REJOIN;
	c->logged_in = 1;
	c->account = (g->flags & FRAME_ACCOUNT) != 0;
	ignore_load(ch, c);
	mod_logged_in(ch, c, g->flags);
	peer_label(&c->peer, "%s from %s port %s", c->m.name, c->ip, c->port);
	log_msg(LOG_INFO, "login %s from %s port %s%s", c->m.name, c->ip,
		c->port, rejoin ? " (rejoin)" : "");
	/* in the room once the replay is read: chat_come_in */
	const struct room *rm = presence_room(&ch->pres, g->room,
					      strlen(g->room));
	history_enter(ch, c, rm ? rm->name : g->room,
		      rejoin ? HIST_REJOIN : HIST_LOGIN, g->n);
}

void chat_login_claimed(struct chat *ch, struct chatter *c, int ok,
			const struct login_go *g)
{
	char msg[96];
	if (ok) {
		login_go(ch, c, g);
		return;
	}
	snprintf(msg, sizeof msg, "The name %s is already in use.",
		 c->m.name);
	presence_remove(&ch->pres, &c->m);
	refuse_login(ch, c, g->flags, c->m.name, "name in use", msg, 0);
}

/* A move: the old room hears LEFT (text: the new room), then c is in
 * the new one. */
static int move_in(struct chat *ch, struct chatter *c, const char *to)
{
	const struct room *old = c->m.room;
	room_send(ch, old, c, FRAME_LEFT, c->m.name, strlen(c->m.name), to,
		  strlen(to));
	transcript_line(&ch->tr, old->name, "[%s] has moved to room %s",
			c->m.name, to);
	return presence_enter(&ch->pres, &c->m, to, strlen(to)) ? 0 : -1;
}

/* c's room hears JOINED (from room old, when not ""). */
static void announce_join(struct chat *ch, struct chatter *c, const char *old)
{
	const struct room *r = c->m.room;
	room_send(ch, r, c, FRAME_JOINED, c->m.name, strlen(c->m.name), old,
		  strlen(old));
	xhost_entered(ch, c, HIST_JOIN, old); /* the other hosts hear it */
	if (old[0])
		transcript_line(&ch->tr, r->name, "[%s] has come in from "
				"room %s", c->m.name, old);
	else
		transcript_line(&ch->tr, r->name, "[%s] has joined the chat",
				c->m.name);
}

int chat_come_in(struct chat *ch, struct chatter *c, enum hist_how how,
		 const char *room)
{
	char old[ROOM_LEN_MAX + 1] = "";
	if (how == HIST_JOIN) {
		memcpy(old, c->m.room->name, sizeof old); /* may be freed */
		if (move_in(ch, c, room) != 0) {
			peer_end(&c->peer, "out of memory moving rooms");
			return -1;
		}
	} else if (!presence_enter(&ch->pres, &c->m, room, strlen(room))) {
		peer_end(&c->peer, "out of memory entering a room");
		return -1;
	}
	const struct room *r = c->m.room;
	if (how != HIST_JOIN)
		reply_send(ch, c, FRAME_OK, OUR_VERSION | FRAME_MARKS_LAST,
			   c->m.name, r->name, NULL, 0);
	if (how == HIST_REJOIN) { /* a re-announce after a restart: quiet */
		xhost_entered(ch, c, how, "");
		mailbox_deliver(ch, c);
		return 0;
	}
	if (how != HIST_LOGIN || !takeover_arrive(ch, c, old, sizeof old))
		announce_join(ch, c, old);
	else /* the same person, maybe elsewhere: other hosts, quietly */
		xhost_entered(ch, c, HIST_REJOIN, "");
	mod_send_topic(ch, c);
	greet(ch, c, how == HIST_JOIN ? "now " : "");
	if (how == HIST_LOGIN)
		mailbox_deliver(ch, c);
	return 0;
}

void chat_transcribe(struct chat *ch, const char *room,
		     const struct store_entry *e)
{
	if (e->kind == STORE_SAY)
		transcript_line(&ch->tr, room, "[%s] : %.*s", e->name,
				(int)e->text_len, e->text);
	else
		transcript_line(&ch->tr, room, "* %s %.*s", e->name,
				(int)e->text_len, e->text);
}

/* Private to oneself is allowed: it is harmless and shows what others
 * would see.  The sender's OK repeats the text with the recipient's own
 * spelling, so the person sees what was sent and to whom. */
static void priv(struct chat *ch, struct chatter *c, const struct frame *f)
{
	struct member *to = NULL;
	if (name_valid(f->a, f->alen))
		to = presence_find(&ch->pres, f->a, f->alen);
	if (!to && xhost_priv(ch, c, f)) /* online on another host */
		return;
	if (!to && name_valid(f->a, f->alen) &&
	    (f->flags & FRAME_TO_ACCOUNT)) {
		mailbox_keep(ch, c, f);
		return;
	}
	if (!to) {
		char msg[FRAME_FIELD_MAX + 32];
		snprintf(msg, sizeof msg, "No such user: %.*s", (int)f->alen,
			 f->a);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	/* "ORIGIN LINE_NO": the recipient drops one it showed already */
	char id[ORIGIN_MAX + LINE_NO_MAX + 2] = "";
	if (c->origin[0])
		snprintf(id, sizeof id, "%s %.*s", c->origin, (int)f->blen,
			 f->b);
	int n = frame_encode(ch->frame, FRAME_PRIVATE, 0, c->m.name,
			     strlen(c->m.name), id, strlen(id), f->text,
			     f->textlen);
	struct chatter *tc = chatter_of(to);
	if (n > 0 && !ignore_blocks(tc, c->m.name)) /* not told */
		peer_queue(&tc->peer, ch->frame, (size_t)n);
	reply_send(ch, c, FRAME_OK, tc->away ? 0 : FRAME_LAST, to->name, NULL,
		   f->text, f->textlen);
	if (tc->away)
		away_tell(ch, c, tc);
}

/* The move itself waits for the new room's replay (chat_come_in). */
static void join(struct chat *ch, struct chatter *c, const struct frame *f)
{
	const struct room *old = c->m.room;
	char msg[96], to[ROOM_LEN_MAX + 1];
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
	history_enter(ch, c, to, HIST_JOIN, f->textlen ?
		      chat_number(f->text, f->textlen) : HISTORY_DEFAULT);
}

static void who(struct chat *ch, struct chatter *c)
{
	const struct room *r = c->m.room;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "In %s (%zu): ", r->name,
		 r->count + xhost_room_count(ch, r->name));
	list_members(ch, c, r, prefix, NULL, FRAME_LAST);
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
	if (!c->logged_in && !c->ctl && f->type != FRAME_LOGIN &&
	    f->type != FRAME_CTL && f->type != FRAME_XFER) {
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
	if (c->logged_in && !c->m.room) {
		refuse(c, f, "a frame before the reply to LOGIN");
		return;
	}
	if (c->ctl && f->type != FRAME_MOD) {
		refuse(c, f, "a chat frame from a control program");
		return;
	}
	c->last_active = io_now_ms();
	switch (f->type) {
	case FRAME_LOGIN:
	case FRAME_CTL:
		if (c->logged_in || c->ctl || xhost_claiming(ch, c))
			refuse(c, f, "a second LOGIN or CTL");
		else if (f->type == FRAME_CTL)
			mod_ctl(ch, c, f);
		else
			login(ch, c, f);
		break;
	case FRAME_SAY: history_say(ch, c, f, STORE_SAY); break;
	case FRAME_ME: history_say(ch, c, f, STORE_ME); break;
	case FRAME_HISTORY: history_show(ch, c, f); break;
	case FRAME_PRIV: priv(ch, c, f); break;
	case FRAME_JOIN: join(ch, c, f); break;
	case FRAME_WHO: who(ch, c); break;
	case FRAME_ROOMS: list_rooms(ch, c); break;
	case FRAME_AWAY: away_request(ch, c, f); break;
	case FRAME_IGNORE:
	case FRAME_UNIGNORE: ignore_request(ch, c, f); break;
	case FRAME_MOD: mod_frame(ch, c, f); break;
	case FRAME_FILECAP:
	case FRAME_OFFER:
	case FRAME_FILEOP: files_frame(ch, c, f); break;
	case FRAME_XFER:
		if (c->logged_in || c->ctl)
			refuse(c, f, "XFER after LOGIN or CTL");
		else
			files_xfer(ch, c, f);
		break;
	default: refuse(c, f, "an unknown frame type"); break;
	}
}

void chat_announce_left(struct chat *ch, const char *name, const char *room)
{
	const struct room *r = presence_room(&ch->pres, room, strlen(room));
	if (r) {
		int n = frame_encode_str(ch->frame, FRAME_LEFT, 0, name,
					 r->name, NULL);
		if (n > 0)
			chat_fanout(ch, r, NULL, (size_t)n);
	}
	transcript_line(&ch->tr, room, "[%s] has left the chat", name);
}

/* Logout: LEFT text="" to c's room (after c's lines: history.c). */
static void announce_leave(struct chat *ch, struct chatter *c)
{
	history_note_left(ch, c); /* for what an account missed */
	/* kicked or banned: the room hears why, at once */
	if (c->m.room && !mod_leave_notice(ch, c, c->m.room))
		history_leave(ch, c);
	log_msg(LOG_INFO, "logout %s from %s port %s", c->m.name, c->ip,
		c->port);
}

/* The peer layer's `gone`: the person leaves, and the room hears of
 * it unless the broker is stopping. */
static void chat_gone(struct peer *p, enum peer_why why, void *arg)
{
	struct chat *ch = arg;
	struct chatter *c = (struct chatter *)(void *)p;
	away_free(c);
	ignore_free(c);
	xhost_gone(ch, c);
	if (!c->logged_in)
		return;
	mod_count_gone(ch, c, (int)why);
	if (why != PEER_SHUTDOWN) {
		announce_leave(ch, c);
		xhost_left(ch, c);
	}
	mod_forget(c);
	if (why != PEER_SHUTDOWN) /* kept for the next broker (files.h) */
		files_gone(ch, c);
	if (why == PEER_CUT_OFF) /* a REJOIN of this session is refused */
		cutoffs_note(c->m.name, c->ip, c->port, io_now_ms());
	presence_remove(&ch->pres, &c->m);
	history_forget(ch, c);
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

int chat_init(struct chat *ch, struct peers *peers, const char *transcript,
	      const char *state, int history)
{
	ch->peers = peers;
	ch->offers = NULL; /* chat_free frees it even after an early return */
	ch->refusals = (struct ratelog){ .what = "logins refused",
					 .per_second = REFUSALS_LOGGED_PER_S };
	if (transcript_open(&ch->tr, transcript) != 0)
		return EXIT_USAGE; /* logged */
	if (presence_init(&ch->pres) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", strerror(errno));
		return EXIT_TEMP;
	}
	ch->state_dir = state;
	if (files_init(ch, XFER_SIZE_DEFAULT) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", strerror(errno));
		return EXIT_TEMP;
	}
	mod_init(ch);
	int rc = history_open(ch, history ? state : NULL);
	if (rc == 0) /* the state directory is ours now */
		files_restore(ch);
	return rc ? rc : xhost_open(ch, ch->host_seed) ? EXIT_TEMP : 0;
}

void chat_free(struct chat *ch)
{
	xhost_close(ch);
	history_close(ch);
	xhost_free(ch);
	files_free(ch);
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
	long long t = ratelog_due(&ch->refusals), h = history_due(ch);
	long long f = files_due(ch);
	t = h >= 0 && (t < 0 || h < t) ? h : t;
	return f >= 0 && (t < 0 || f < t) ? f : t;
}

void chat_timers(struct chat *ch, long long now)
{
	ratelog_flush(&ch->refusals, now);
	files_timers(ch, now);
}
