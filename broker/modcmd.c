/* modcmd.c — operators' commands in the broker: kick, ban, unban,
 * bans, mute, unmute (modcmd.h); who, stats, topic and wall are in
 * modinfo.c.  Every MOD frame gets exactly one reply ending in
 * FRAME_LAST. */
#include "modcmd.h"
#include "io.h"
#include "log.h"
#include "namecmp.h"
#include "reply.h"
#include "statefile.h"
#include "xmod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DURATION_HINT "use e.g. 30s, 10m, 2h or 7d"

/* Room for every ban's line or every topic's line. */
static char filebuf[BANS_MAX * BAN_LINE_MAX > MOD_TOPICS_MAX *
		    MOD_TOPIC_LINE_MAX ? BANS_MAX * BAN_LINE_MAX :
		    MOD_TOPICS_MAX * MOD_TOPIC_LINE_MAX];

void mod_notice(struct chat *ch, struct chatter *c, const char *text)
{
	reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, text, strlen(text));
}

long long mod_now(void)
{
	return (long long)time(NULL);
}

const char *mod_by(const struct chatter *c)
{
	return c->ctl ? "natterctl" : c->m.name;
}

static void load(struct chat *ch, const char *file)
{
	ssize_t n = statefile_read(ch->state_dir, file, filebuf,
				   sizeof filebuf, NULL);
	if (n < 0) {
		log_msg(LOG_ERR, "cannot read %s/%s: %s", ch->state_dir, file,
			strerror(errno));
		return;
	}
	size_t bad = strcmp(file, MOD_BANS_FILE) == 0 ?
		     banlist_parse(&ch->mod.bans, filebuf, (size_t)n) :
		     mod_topics_parse(&ch->mod, filebuf, (size_t)n);
	if (bad)
		log_msg(LOG_WARNING, "%s/%s: %zu lines skipped (not valid)",
			ch->state_dir, file, bad);
}

void mod_init(struct chat *ch)
{
	ch->started = mod_now();
	if (!ch->state_dir)
		return;
	load(ch, MOD_BANS_FILE);
	load(ch, MOD_TOPICS_FILE);
	if (ch->mod.bans.n || ch->mod.ntopics)
		log_msg(LOG_INFO, "%zu bans and %zu topics from %s",
			ch->mod.bans.n, ch->mod.ntopics, ch->state_dir);
}

static void save(struct chat *ch, struct chatter *asker, const char *file,
		 size_t len)
{
	if (!ch->state_dir)
		return;
	if (statefile_write(ch->state_dir, file, filebuf, len) == 0)
		return;
	log_msg(LOG_ERR, "cannot write %s/%s: %s", ch->state_dir, file,
		strerror(errno));
	if (asker)
		mod_notice(ch, asker, "(Not saved: it will not outlive a "
			   "restart.)");
}

void mod_save_bans(struct chat *ch, struct chatter *asker)
{
	save(ch, asker, MOD_BANS_FILE,
	     mod_bans_text(&ch->mod, mod_now(), filebuf, sizeof filebuf));
}

void mod_save_topics(struct chat *ch, struct chatter *asker)
{
	save(ch, asker, MOD_TOPICS_FILE,
	     mod_topics_text(&ch->mod, filebuf, sizeof filebuf));
}

/* "until 14:05 UTC on 2024-05-01" or "until unbanned". */
static void until_text(long long until, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)until;
	if (until == 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "until lifted");
		return;
	}
	strftime(buf, size, "until %Y-%m-%d %H:%M:%S UTC", &tm);
}

int mod_login_refused(struct chat *ch, struct chatter *c, const char *name)
{
	long long now = mod_now();
	const struct ban *b = banlist_find_name(&ch->mod.bans, name,
						strlen(name), now);
	if (!b)
		b = banlist_find_ip(&ch->mod.bans, c->ip, now);
	if (!b)
		return 0;
	char msg[BAN_REASON_MAX + 128], until[48];
	until_text(b->until, until, sizeof until);
	snprintf(msg, sizeof msg, "You are banned from this chat (by %s%s%s), "
		 "%s.", b->by, b->reason[0] ? ": " : "", b->reason, until);
	log_msg(LOG_NOTICE, "login refused for %s from %s port %s: banned",
		name, c->ip, c->port);
	mod_count_refused(ch, "banned");
	reply_send(ch, c, FRAME_ERR, (uint8_t)(FRAME_LAST | FRAME_FATAL |
		   NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION)), NULL, NULL,
		   msg, strlen(msg));
	peer_finish(&c->peer);
	return 1;
}

void mod_logged_in(struct chat *ch, struct chatter *c, uint8_t flags)
{
	c->op = (flags & FRAME_OPERATOR) != 0;
	c->login_at = mod_now();
	ch->mod.stats.logins++;
	if (flags & FRAME_REJOIN)
		ch->mod.stats.rejoins++;
	else
		ch->mod.stats.sessions++;
}

int mod_silenced(struct chat *ch, struct chatter *c)
{
	long long now = io_now_ms(); /* once: this runs for every line */
	c->last_said = now;
	if (!mod_muted(&ch->mod, c->m.name, mod_now())) {
		ch->mod.stats.messages++;
		mod_rate_add(&ch->mod.stats.rate, now / 1000);
		return 0;
	}
	ch->mod.stats.muted++;
	mod_notice(ch, c, "You are muted: nobody "
		   "sees what you say.");
	return 1;
}

void mod_queue(struct chat *ch, struct chatter *c, int type, const char *a,
	       const char *b, const char *text)
{
	int n = frame_encode_str(ch->frame, (uint8_t)type, 0, a, b, text);
	if (n > 0)
		peer_queue(&c->peer, ch->frame, (size_t)n);
}

int mod_leave_notice(struct chat *ch, struct chatter *c,
		     const struct room *r)
{
	if (!c->note)
		return 0;
	for (size_t i = 0; i < r->count; i++) {
		struct chatter *o = chatter_of(r->members[i]);
		if (o != c)
			mod_queue(ch, o, FRAME_KICKED, c->m.name, r->name,
				  c->note);
	}
	transcript_line(&ch->tr, r->name, "[%s] %s", c->m.name, c->note);
	mod_forget(c);
	return 1;
}

void mod_forget(struct chatter *c)
{
	free(c->note);
	c->note = NULL;
}

/* The name a MOD frame's b names, online, or NULL (ERR sent). */
static struct chatter *online(struct chat *ch, struct chatter *c,
			      const struct frame *f)
{
	struct member *m = NULL;
	char msg[FRAME_FIELD_MAX + 32];
	if (name_valid(f->b, f->blen))
		m = presence_find(&ch->pres, f->b, f->blen);
	if (m)
		return chatter_of(m);
	snprintf(msg, sizeof msg, "No such user: %.*s", (int)f->blen, f->b);
	reply_only(ch, c, FRAME_ERR, msg);
	return NULL;
}

int mod_remove(struct chat *ch, const char *by, struct chatter *v,
	       const char *verb, const char *why, size_t whylen)
{
	char tell[MOD_NOTE_MAX + 32];
	char *note = malloc(MOD_NOTE_MAX);
	if (!note)
		return -1;
	snprintf(note, MOD_NOTE_MAX, "was %s by %s%s%.*s", verb, by,
		 whylen ? ": " : "", (int)whylen, why);
	snprintf(tell, sizeof tell, "You were %s by %s%s%.*s.", verb, by,
		 whylen ? ": " : "", (int)whylen, why);
	mod_forget(v);
	v->note = note;
	int n = frame_encode_str(ch->frame, FRAME_KICK, 0, NULL, NULL, tell);
	if (n > 0)
		peer_queue(&v->peer, ch->frame, (size_t)n);
	log_msg(LOG_NOTICE, "%s %s by %s%s%.*s", v->m.name, verb, by,
		whylen ? ": " : "", (int)whylen, why);
	peer_finish(&v->peer);
	return 0;
}

static void kick(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char msg[96];
	if (f->textlen <= BAN_REASON_MAX &&
	    xmod_kick(ch, c, f->b, f->blen, f->text, f->textlen))
		return; /* a person of another host */
	struct chatter *v = online(ch, c, f);
	if (!v)
		return;
	if (v == c) {
		reply_only(ch, c, FRAME_ERR, "You cannot kick yourself; /exit "
			   "leaves.");
		return;
	}
	if (f->textlen > BAN_REASON_MAX) {
		reply_only(ch, c, FRAME_ERR, "The reason is too long (at "
			   "most 200 bytes).");
		return;
	}
	snprintf(msg, sizeof msg, "%s was kicked.", v->m.name);
	if (mod_remove(ch, mod_by(c), v, "kicked", f->text, f->textlen) != 0)
		snprintf(msg, sizeof msg, "The broker is out of memory.");
	else
		ch->mod.stats.kicks++;
	reply_only(ch, c, FRAME_INFO, msg);
}

/* "[DURATION] [reason]": *secs 0 for no duration.  0, or -1 with the
 * ERR sent. */
static int duration_and_reason(struct chat *ch, struct chatter *c,
			       const struct frame *f, long long *secs,
			       const char **why, size_t *whylen)
{
	const char *t = f->text, *sp = memchr(t, ' ', f->textlen);
	size_t wlen = sp ? (size_t)(sp - t) : f->textlen;
	*secs = 0;
	*why = t;
	*whylen = f->textlen;
	if (wlen && t[0] >= '0' && t[0] <= '9') {
		char msg[FRAME_FIELD_MAX + 64];
		if (ban_duration(t, wlen, secs) != 0) {
			snprintf(msg, sizeof msg, "Bad duration: %.*s (%s).",
				 (int)(wlen > 16 ? 16 : wlen), t,
				 DURATION_HINT);
			reply_only(ch, c, FRAME_ERR, msg);
			return -1;
		}
		while (wlen < f->textlen && t[wlen] == ' ')
			wlen++;
		*why = t + wlen;
		*whylen = f->textlen - wlen;
	}
	if (*whylen > BAN_REASON_MAX) {
		reply_only(ch, c, FRAME_ERR, "The reason is too long (at most "
			   "200 bytes).");
		return -1;
	}
	return 0;
}

/* 0 and b's target from the frame's b, or -1 with the ERR sent. */
static int target_of(struct chat *ch, struct chatter *c,
		     const struct frame *f, struct ban *b)
{
	memset(b, 0, sizeof *b);
	if (ban_target(f->b, f->blen, b) == 0)
		return 0;
	char msg[FRAME_FIELD_MAX + 96];
	snprintf(msg, sizeof msg, "Not a name or an address: %.*s (e.g. ann, "
		 "192.0.2.7, 2001:db8::/48).", (int)f->blen, f->b);
	reply_only(ch, c, FRAME_ERR, msg);
	return -1;
}

/* Whether ban b would shut out its own maker c. */
static int hits_self(const struct chatter *c, const struct ban *b)
{
	return !c->ctl && ban_covers(b, c->m.name, c->ip);
}

size_t mod_ban_people(struct chat *ch, const struct ban *b)
{
	size_t n = 0;
	for (struct peer *p = ch->peers->all; p; p = p->next_all) {
		struct chatter *o = (struct chatter *)(void *)p;
		if (!o->logged_in || p->state != PEER_OPEN ||
		    !ban_covers(b, o->m.name, o->ip))
			continue;
		if (mod_remove(ch, b->by, o, "banned", b->reason,
			       strlen(b->reason)) == 0)
			n++;
	}
	return n;
}

static void ban(struct chat *ch, struct chatter *c, const struct frame *f)
{
	struct ban b;
	long long secs;
	const char *why;
	size_t whylen;
	char target[BAN_TARGET_TEXT_MAX], until[48], msg[192];
	if (target_of(ch, c, f, &b) != 0 ||
	    duration_and_reason(ch, c, f, &secs, &why, &whylen) != 0)
		return;
	if (hits_self(c, &b)) {
		reply_only(ch, c, FRAME_ERR, "That ban would shut you out too; "
			   "not banned.");
		return;
	}
	b.until = secs ? mod_now() + secs : 0;
	snprintf(b.by, sizeof b.by, "%s", mod_by(c));
	memcpy(b.reason, why, whylen);
	b.reason[whylen] = '\0';
	if (banlist_add(&ch->mod.bans, &b) != 0) {
		reply_only(ch, c, FRAME_ERR, "Too many bans (256); lift one "
			   "first.");
		return;
	}
	ch->mod.stats.bans++;
	ban_target_text(&b, target, sizeof target);
	until_text(b.until, until, sizeof until);
	log_msg(LOG_NOTICE, "%s banned %s %s", mod_by(c), target, until);
	mod_save_bans(ch, c);
	size_t gone = mod_ban_people(ch, &b);
	int shared = xmod_ban(ch, &b) == 0;
	snprintf(msg, sizeof msg, "%s is banned %s (%zu removed%s).", target,
		 until, gone, shared ? " here; every server applies it" : "");
	reply_only(ch, c, FRAME_INFO, msg);
}

static void unban(struct chat *ch, struct chatter *c, const struct frame *f)
{
	struct ban b;
	char target[BAN_TARGET_TEXT_MAX], msg[128];
	if (target_of(ch, c, f, &b) != 0)
		return;
	ban_target_text(&b, target, sizeof target);
	if (!banlist_remove(&ch->mod.bans, &b)) {
		snprintf(msg, sizeof msg, "%s is not banned.", target);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	log_msg(LOG_NOTICE, "%s lifted the ban on %s", mod_by(c), target);
	mod_save_bans(ch, c);
	(void)xmod_unban(ch, &b, mod_by(c));
	snprintf(msg, sizeof msg, "The ban on %s is lifted.", target);
	reply_only(ch, c, FRAME_INFO, msg);
}

static void bans(struct chat *ch, struct chatter *c)
{
	long long now = mod_now();
	char line[BAN_LINE_MAX + 64], target[BAN_TARGET_TEXT_MAX], until[48];
	size_t shown = 0;
	for (size_t i = 0; i < ch->mod.bans.n; i++) {
		const struct ban *b = &ch->mod.bans.v[i];
		if (!ban_active(b, now))
			continue;
		ban_target_text(b, target, sizeof target);
		until_text(b->until, until, sizeof until);
		snprintf(line, sizeof line, "%s by %s %s%s%s", target, b->by,
			 until, b->reason[0] ? ": " : "", b->reason);
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, line,
			   strlen(line));
		shown++;
	}
	snprintf(line, sizeof line, "%zu bans.", shown);
	reply_only(ch, c, FRAME_INFO, shown ? line : "Nobody is banned.");
}

void mod_tell_muted(struct chat *ch, struct chatter *v, const char *by,
		    const char *dur)
{
	char tell[128];
	snprintf(tell, sizeof tell, "You have been muted by %s%s%s: nobody "
		 "sees what you say.", by, dur[0] ? " for " : "", dur);
	reply_send(ch, v, FRAME_INFO, 0, NULL, NULL, tell, strlen(tell));
}

/* The person named by f's b here (*v) or on another host (its name in
 * name): 0, or -1 with "No such user" sent. */
static int mute_target(struct chat *ch, struct chatter *c,
		       const struct frame *f, struct chatter **v, char *name)
{
	struct member *m = name_valid(f->b, f->blen) ?
			   presence_find(&ch->pres, f->b, f->blen) : NULL;
	*v = m ? chatter_of(m) : NULL;
	if (m)
		snprintf(name, NAME_LEN_MAX + 1, "%s", (*v)->m.name);
	else if (!xmod_remote(ch, f->b, f->blen, name))
		return online(ch, c, f) ? 0 : -1; /* sends No such user */
	return 0;
}

static void mute(struct chat *ch, struct chatter *c, const struct frame *f)
{
	long long secs = 0;
	char msg[160], name[NAME_LEN_MAX + 1], dur[FRAME_FIELD_MAX + 1];
	struct chatter *v;
	if (mute_target(ch, c, f, &v, name) != 0)
		return;
	if (f->textlen && ban_duration(f->text, f->textlen, &secs) != 0) {
		snprintf(msg, sizeof msg, "Bad duration: %.*s (%s).",
			 (int)(f->textlen > 16 ? 16 : f->textlen), f->text,
			 DURATION_HINT);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	long long until = secs ? mod_now() + secs : 0;
	if (mod_mute(&ch->mod, name, until) != 0) {
		reply_only(ch, c, FRAME_ERR, "Too many people muted (256).");
		return;
	}
	frame_field(dur, sizeof dur, f->text, secs ? f->textlen : 0);
	if (v)
		mod_tell_muted(ch, v, mod_by(c), dur);
	(void)xmod_mute(ch, name, until, mod_by(c), dur);
	log_msg(LOG_NOTICE, "%s muted %s%s%s", mod_by(c), name,
		secs ? " for " : "", dur);
	snprintf(msg, sizeof msg, "%s is muted%s%s%s.", name,
		 secs ? " for " : "", dur, v ? "" : " (on another server)");
	reply_only(ch, c, FRAME_INFO, msg);
}

static void unmute(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char name[NAME_LEN_MAX + 1], msg[96];
	frame_field(name, sizeof name, f->b, f->blen);
	if (!name_valid(f->b, f->blen) ||
	    !mod_muted(&ch->mod, name, mod_now())) {
		snprintf(msg, sizeof msg, "%.*s is not muted.",
			 (int)(f->blen > 16 ? 16 : f->blen), f->b);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	mod_unmute(&ch->mod, name);
	(void)xmod_unmute(ch, name, mod_by(c));
	struct member *m = presence_find(&ch->pres, name, strlen(name));
	if (m)
		mod_notice(ch, chatter_of(m), "You may speak again.");
	log_msg(LOG_NOTICE, "%s unmuted %s", mod_by(c), name);
	snprintf(msg, sizeof msg, "%s may speak again.", name);
	reply_only(ch, c, FRAME_INFO, msg);
}

/* Whether f's verb (a) is verb. */
static int verb_is(const struct frame *f, const char *verb)
{
	return strlen(verb) == f->alen && memcmp(f->a, verb, f->alen) == 0;
}

/* Operators' verbs; "topic" without text is anyone's. */
void mod_frame(struct chat *ch, struct chatter *c, const struct frame *f)
{
	int viewing = verb_is(f, "topic") && f->textlen == 0;
	if (!c->op && !c->ctl && !viewing) {
		reply_only(ch, c, FRAME_ERR, "That command is for operators.");
		return;
	}
	int needs = verb_is(f, "kick") || verb_is(f, "ban") ||
		    verb_is(f, "unban") || verb_is(f, "mute") ||
		    verb_is(f, "unmute");
	if (needs && f->blen == 0) {
		reply_only(ch, c, FRAME_ERR, "Name whom (or which address).");
		return;
	}
	if (verb_is(f, "kick")) kick(ch, c, f);
	else if (verb_is(f, "ban")) ban(ch, c, f);
	else if (verb_is(f, "unban")) unban(ch, c, f);
	else if (verb_is(f, "bans")) bans(ch, c);
	else if (verb_is(f, "mute")) mute(ch, c, f);
	else if (verb_is(f, "unmute")) unmute(ch, c, f);
	else if (verb_is(f, "topic")) mod_topic_cmd(ch, c, f);
	else if (verb_is(f, "wall")) mod_wall(ch, c, f);
	else if (verb_is(f, "who")) mod_who(ch, c);
	else if (verb_is(f, "stats")) mod_stats(ch, c);
	else if (verb_is(f, "status")) mod_status(ch, c);
	else reply_only(ch, c, FRAME_ERR, "Unknown operator command.");
}

void mod_ctl(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char prog[FRAME_FIELD_MAX + 1];
	frame_field(prog, sizeof prog, f->a, f->alen);
	c->ctl = 1;
	peer_label(&c->peer, "control program (%s)", prog);
	log_msg(LOG_INFO, "control program %s connected", prog);
	reply_send(ch, c, FRAME_OK, (uint8_t)(FRAME_LAST |
		   NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION)), NULL, NULL,
		   NULL, 0);
}
