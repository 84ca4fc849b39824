/* modinfo.c — what operators and natterctl ask and announce: who,
 * stats, topics, wall (modcmd.h). */
#include "modcmd.h"
#include "xmod.h"
#include "io.h"
#include "log.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

/* A line of who costs at most this in the asker's queue. */
#define WHO_LINE_MAX (NAME_LEN_MAX + ROOM_LEN_MAX + 64)

/* who's lines for the people of other hosts (xhost_each_person's
 * callback): at most a quarter of the queue bound, as listing.c's lists,
 * so that asking cannot get the asker cut off; the rest counted. */
struct who_walk {
	struct chat *ch;
	struct chatter *c;
	size_t n, omitted, budget;
};

static void who_remote(void *arg, const char *name, const char *room,
		       const char *host)
{
	struct who_walk *w = arg;
	char line[WHO_LINE_MAX];
	int n = snprintf(line, sizeof line, "%s %s - - - - %s", name,
			 room[0] ? room : "-", host);
	if (n < 0 || (size_t)n >= sizeof line ||
	    (size_t)n + FRAME_HDR + 16 > w->budget ||
	    w->c->peer.state != PEER_OPEN) {
		w->omitted++;
		return;
	}
	w->budget -= (size_t)n + FRAME_HDR + 16; /* the frame's lengths */
	reply_send(w->ch, w->c, FRAME_INFO, 0, NULL, NULL, line, (size_t)n);
	w->n++;
}

/* One line per person, fields split by a space (none holds one; a
 * frame holds no tab, natterctl prints tabs): name, room, address,
 * login time (Unix seconds), idle seconds, "op" or "-".  With -R, then
 * the people of other hosts known here: name, room, four "-" (not
 * known here) and a seventh field, their host's ID.  Then "N
 * people.", or "N people, K more on other hosts not listed." past the
 * bound. */
void mod_who(struct chat *ch, struct chatter *c)
{
	long long now = io_now_ms();
	char line[160];
	size_t n = 0;
	for (struct peer *p = ch->peers->all; p; p = p->next_all) {
		const struct chatter *o = (const struct chatter *)(void *)p;
		if (!o->logged_in || c->peer.state != PEER_OPEN)
			continue;
		long long idle = o->last_said ? (now - o->last_said) / 1000 :
						(long long)(mod_now() - o->login_at);
		snprintf(line, sizeof line, "%s %s %s %lld %lld %s",
			 o->m.name, o->m.room ? o->m.room->name : "-", o->ip,
			 o->login_at, idle, o->op ? "op" : "-");
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, line,
			   strlen(line));
		n++;
	}
	struct who_walk w = { ch, c, 0, 0, ch->peers->queue_max / 4 };
	xhost_each_person(ch, who_remote, &w);
	if (w.omitted)
		snprintf(line, sizeof line, "%zu people, %zu more on other "
			 "hosts not listed.", n + w.n, w.omitted);
	else
		snprintf(line, sizeof line, "%zu people.", n + w.n);
	reply_only(ch, c, FRAME_INFO, line);
}

static void stat_line(struct chat *ch, struct chatter *c, const char *name,
		      unsigned long long v)
{
	char line[64];
	int n = snprintf(line, sizeof line, "%s %llu", name, v);
	reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, line, (size_t)n);
}

/* "name value" lines, the last one ending the reply. */
void mod_stats(struct chat *ch, struct chatter *c)
{
	const struct mod_stats *s = &ch->mod.stats;
	unsigned long long people = 0, ctls = 0;
	for (struct peer *p = ch->peers->all; p; p = p->next_all) {
		const struct chatter *o = (const struct chatter *)(void *)p;
		people += o->logged_in != 0;
		ctls += o->ctl != 0;
	}
	stat_line(ch, c, "uptime_seconds",
		  (unsigned long long)(mod_now() - ch->started));
	stat_line(ch, c, "people", people);
	stat_line(ch, c, "rooms", ch->pres.room_count);
	stat_line(ch, c, "control_connections", ctls);
	stat_line(ch, c, "logins_total", s->logins);
	stat_line(ch, c, "logins_refused_total", s->refused);
	stat_line(ch, c, "messages_total", s->messages);
	stat_line(ch, c, "messages_muted_total", s->muted);
	stat_line(ch, c, "kicks_total", s->kicks);
	stat_line(ch, c, "bans_total", s->bans);
	char line[64];
	snprintf(line, sizeof line, "bans_in_force %zu", ch->mod.bans.n);
	reply_only(ch, c, FRAME_INFO, line);
}

const char *mod_topic_text(const struct chat *ch, const char *room)
{
	const struct mod_topic *t = mod_topic(&ch->mod, room);
	return t ? t->text : NULL;
}

void mod_send_topic(struct chat *ch, struct chatter *c)
{
	const struct mod_topic *t = mod_topic(&ch->mod, c->m.room->name);
	if (t)
		mod_queue(ch, c, FRAME_TOPIC, t->by, c->m.room->name, t->text);
}

/* "topic" with text sets the asker's room's topic ("-" clears it);
 * without, shows it. */
void mod_topic_cmd(struct chat *ch, struct chatter *c, const struct frame *f)
{
	const struct room *r = c->m.room;
	char msg[MOD_TOPIC_MAX + 96];
	if (c->ctl || !r) {
		reply_only(ch, c, FRAME_ERR, "A topic is set from its room.");
		return;
	}
	if (f->textlen == 0) {
		const struct mod_topic *t = mod_topic(&ch->mod, r->name);
		if (t)
			snprintf(msg, sizeof msg, "Topic of %s: %s (set by %s)",
				 r->name, t->text, t->by);
		else
			snprintf(msg, sizeof msg, "%s has no topic.", r->name);
		reply_only(ch, c, FRAME_INFO, msg);
		return;
	}
	if (f->textlen > MOD_TOPIC_MAX) {
		reply_only(ch, c, FRAME_ERR, "The topic is too long (at most "
			   "200 bytes).");
		return;
	}
	int clear = f->textlen == 1 && f->text[0] == '-';
	if (mod_topic_set(&ch->mod, r->name, mod_by(c), f->text,
			  clear ? 0 : f->textlen) != 0) {
		reply_only(ch, c, FRAME_ERR, "Too many topics (256).");
		return;
	}
	mod_save_topics(ch, c);
	(void)xmod_topic(ch, r->name, mod_by(c)); /* every host's */
	log_msg(LOG_NOTICE, "%s set the topic of %s: %.*s", mod_by(c), r->name,
		(int)f->textlen, f->text);
	snprintf(msg, sizeof msg, "%.*s", (int)f->textlen, f->text);
	for (size_t i = 0; i < r->count && !clear; i++)
		mod_queue(ch, chatter_of(r->members[i]), FRAME_TOPIC,
			  mod_by(c), r->name, msg);
	reply_only(ch, c, FRAME_INFO, clear ? "Topic cleared." : "Topic set.");
}

/* To every person in every room but the sender. */
void mod_wall(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char text[FRAME_TEXT_MAX + 1], msg[64];
	size_t n = 0;
	if (f->textlen == 0) {
		reply_only(ch, c, FRAME_ERR, "Usage: /wall text");
		return;
	}
	frame_field(text, sizeof text, f->text, f->textlen);
	for (struct peer *p = ch->peers->all; p; p = p->next_all) {
		struct chatter *o = (struct chatter *)(void *)p;
		if (!o->logged_in || o == c)
			continue;
		mod_queue(ch, o, FRAME_WALL, mod_by(c), NULL, text);
		n++;
	}
	log_msg(LOG_NOTICE, "%s announced to everyone: %s", mod_by(c), text);
	snprintf(msg, sizeof msg, "Announced to %zu people.", n);
	reply_only(ch, c, FRAME_INFO, msg);
}

void mod_count_refused(struct chat *ch, const char *why)
{
	ch->mod.stats.refused++;
	ch->mod.stats.refused_by[mod_refusal_of(why)]++;
}

void mod_count_gone(struct chat *ch, const struct chatter *c, int why)
{
	if (why == PEER_CUT_OFF && !c->note) /* a kick or ban has its note */
		ch->mod.stats.cut_off++;
}

/* A "room NAME N" line of status (presence_each_room's callback). */
struct status_walk {
	struct chat *ch;
	struct chatter *c;
};

static void room_line(const struct room *r, void *arg)
{
	struct status_walk *w = arg;
	char line[ROOM_LEN_MAX + 32];
	int n = snprintf(line, sizeof line, "room %s %zu", r->name, r->count);
	reply_send(w->ch, w->c, FRAME_INFO, 0, NULL, NULL, line, (size_t)n);
}

/* natterctl status: "key value" lines (room and refused lines carry a
 * label first; hosts and people_elsewhere only with -R); natterctl metrics turns them into Prometheus' text.
 * The last line, lines_per_second, ends the reply. */
void mod_status(struct chat *ch, struct chatter *c)
{
	const struct mod_stats *s = &ch->mod.stats;
	unsigned long long people = 0;
	char line[64];
	for (struct peer *p = ch->peers->all; p; p = p->next_all)
		people += ((const struct chatter *)(void *)p)->logged_in != 0;
	stat_line(ch, c, "uptime_seconds",
		  (unsigned long long)(mod_now() - ch->started));
	stat_line(ch, c, "people", people);
	if (ch->xh) { /* -R: what this host knows of the others */
		stat_line(ch, c, "hosts", xhost_hosts(ch));
		stat_line(ch, c, "people_elsewhere", xhost_room_total(ch));
	}
	struct status_walk w = { ch, c };
	presence_each_room(&ch->pres, room_line, &w);
	stat_line(ch, c, "sessions_started", s->sessions);
	stat_line(ch, c, "rejoins", s->rejoins);
	stat_line(ch, c, "takeovers", s->takeovers);
	for (int i = 0; i < MOD_REFUSALS; i++) {
		snprintf(line, sizeof line, "refused %s",
			 mod_refusal_name((enum mod_refusal)i));
		stat_line(ch, c, line, s->refused_by[i]);
	}
	stat_line(ch, c, "cut_off", s->cut_off);
	stat_line(ch, c, "kicks", s->kicks);
	stat_line(ch, c, "bans", s->bans);
	stat_line(ch, c, "bans_in_force", ch->mod.bans.n);
	stat_line(ch, c, "lines", s->messages);
	stat_line(ch, c, "lines_muted", s->muted);
	unsigned long long minute = mod_rate_sum(&s->rate, io_now_ms() / 1000);
	snprintf(line, sizeof line, "lines_per_second %llu.%02llu",
		 minute / MOD_RATE_SECONDS,
		 (minute % MOD_RATE_SECONDS) * 100 / MOD_RATE_SECONDS);
	reply_only(ch, c, FRAME_INFO, line);
}
