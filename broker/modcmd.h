/* modcmd.h — what the broker does for moderation: the MOD and CTL
 * frames (natter-protocol.h), bans at log-in, mutes on what is said,
 * the kick notice instead of a leave, topics at a join, and the state
 * directory's bans and topics files (moderation.h holds the state).
 * chat.c calls these at its dispatch points; each returns whether it
 * took the matter in hand. */
#ifndef NATTER_BROKER_MODCMD_H
#define NATTER_BROKER_MODCMD_H

#include "chat.h"

#define MOD_NOTE_MAX 240   /* "was kicked by bob: <reason>" */

/* Loads the bans and topics from ch->state_dir (if set); logs. */
void mod_init(struct chat *ch);
/* LOGIN: 1 when the name or the address is banned (refused: one ERR
 * flagged FATAL, which natter-session shows before it ends). */
int mod_login_refused(struct chat *ch, struct chatter *c, const char *name);
/* A refused LOGIN counted, by its reason as logged (mod_refusal_of). */
void mod_count_refused(struct chat *ch, const char *why);
/* A logged-in c is gone (peer.h's why): counted when it was cut off. */
void mod_count_gone(struct chat *ch, const struct chatter *c, int why);
/* LOGIN accepted: the operator flag and the login time noted. */
void mod_logged_in(struct chat *ch, struct chatter *c, uint8_t flags);
/* A room's topic to c (before its greeting), if it has one. */
void mod_send_topic(struct chat *ch, struct chatter *c);
/* SAY or ME: 1 when c is muted (told so; nothing is sent). */
int mod_silenced(struct chat *ch, struct chatter *c);
/* c leaves room r: 1 when the room was told c was kicked or banned
 * (then no LEFT is sent). */
int mod_leave_notice(struct chat *ch, struct chatter *c,
		     const struct room *r);
/* c is gone: what was kept for its notice is freed. */
void mod_forget(struct chatter *c);
/* The MOD and CTL frames. */
void mod_frame(struct chat *ch, struct chatter *c, const struct frame *f);
void mod_ctl(struct chat *ch, struct chatter *c, const struct frame *f);
/* The topic of the room named, or NULL (for /rooms). */
const char *mod_topic_text(const struct chat *ch, const char *room);

/* For modcmd.c and modinfo.c: queues the frame of type KICKED, WALL or
 * TOPIC for c (every handler speaks version 3: the broker serves no
 * other). */
void mod_queue(struct chat *ch, struct chatter *c, int type, const char *a,
	       const char *b, const char *text);
void mod_save_bans(struct chat *ch, struct chatter *asker);
void mod_save_topics(struct chat *ch, struct chatter *asker);
/* An INFO line to c outside any reply (no FRAME_LAST). */
void mod_notice(struct chat *ch, struct chatter *c, const char *text);
/* Unix seconds. */
long long mod_now(void);
/* Who acts: the person's name, or "natterctl". */
const char *mod_by(const struct chatter *c);
/* Ends v's session: it is told who did it (by) and why, then closed;
 * its room sees "[v] was <verb> by X: why" (mod_leave_notice).  0, or
 * -1 out of memory. */
int mod_remove(struct chat *ch, const char *by, struct chatter *v,
	       const char *verb, const char *why, size_t whylen);
/* Everyone here the ban b shuts out is removed (by b->by); how many. */
size_t mod_ban_people(struct chat *ch, const struct ban *b);
/* Tells v it is muted by by (dur as typed, or ""). */
void mod_tell_muted(struct chat *ch, struct chatter *v, const char *by,
		    const char *dur);
/* who, stats, topic, wall (modinfo.c). */
void mod_who(struct chat *ch, struct chatter *c);
void mod_stats(struct chat *ch, struct chatter *c);
void mod_status(struct chat *ch, struct chatter *c);
void mod_topic_cmd(struct chat *ch, struct chatter *c, const struct frame *f);
void mod_wall(struct chat *ch, struct chatter *c, const struct frame *f);

#endif
