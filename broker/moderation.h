/* moderation.h — the broker's moderation as pure state: bans (lib/
 * bans.h), mutes, room topics and the counters natterctl shows.  No
 * I/O here: broker/modcmd.c acts on frames with it and writes the
 * state directory's files (lib/statefile.h); the text of those files
 * is made and read here.
 *
 * Times are Unix seconds (bans and mutes outlive a restart's clock);
 * everything expires lazily: a ban or mute over is not in force, and
 * the next change drops it. */
#ifndef NATTER_BROKER_MODERATION_H
#define NATTER_BROKER_MODERATION_H

#include "bans.h"
#include "names.h"

#include <stddef.h>

#define MOD_MUTES_MAX 256
#define MOD_TOPICS_MAX 256
#define MOD_TOPIC_MAX 200          /* bytes of a topic */
#define MOD_TOPIC_LINE_MAX 300     /* one line of the topics file */
#define MOD_BANS_FILE BANS_FILE
#define MOD_TOPICS_FILE "topics"

struct mod_mute {
	char name[NAME_LEN_MAX + 1];
	long long until;            /* 0: until unmuted */
};

struct mod_topic {
	char room[ROOM_LEN_MAX + 1];
	char by[BAN_BY_MAX + 1];
	char text[MOD_TOPIC_MAX + 1];
};

/* Lines said, per second, over the last MOD_RATE_SECONDS seconds: a
 * ring of one-second buckets, each stamped with its second. */
#define MOD_RATE_SECONDS 60
struct mod_rate {
	long long second[MOD_RATE_SECONDS];
	unsigned long long count[MOD_RATE_SECONDS];
};

/* Why a LOGIN was refused, for natterctl status (mod_refusal_of). */
enum mod_refusal {
	MOD_REFUSED_NAME_IN_USE, MOD_REFUSED_BANNED, MOD_REFUSED_BAD_NAME,
	MOD_REFUSED_BAD_ROOM, MOD_REFUSED_PROTOCOL, MOD_REFUSED_NO_MEMORY,
	MOD_REFUSED_OTHER, MOD_REFUSALS
};

struct mod_stats {
	unsigned long long logins, refused, messages, muted, kicks, bans;
	unsigned long long takeovers;
	unsigned long long sessions;  /* logins but rejoins */
	unsigned long long rejoins;
	unsigned long long cut_off;   /* too far behind (not kicks, bans) */
	unsigned long long refused_by[MOD_REFUSALS];
	struct mod_rate rate;
};

struct moderation {
	struct banlist bans;
	struct mod_mute mutes[MOD_MUTES_MAX];
	size_t nmutes;
	struct mod_topic topics[MOD_TOPICS_MAX];
	size_t ntopics;
	struct mod_stats stats;
};

/* A line said at second now (any clock that counts seconds). */
void mod_rate_add(struct mod_rate *r, long long now);
/* The lines said in the MOD_RATE_SECONDS seconds up to now. */
unsigned long long mod_rate_sum(const struct mod_rate *r, long long now);
/* The reason of a refusal as the log says it ("name in use", "invalid
 * name", "protocol 2 (...)", ...); its name for natterctl
 * ("name_in_use", ...). */
enum mod_refusal mod_refusal_of(const char *why);
const char *mod_refusal_name(enum mod_refusal r);

/* Mutes: 0, or -1 when the table is full.  Unmute: 1 if muted. */
int mod_mute(struct moderation *m, const char *name, long long until);
int mod_unmute(struct moderation *m, const char *name);
/* The mute in force for name at now, or NULL. */
const struct mod_mute *mod_muted(const struct moderation *m,
				 const char *name, long long now);

/* Sets room's topic (an empty text clears it): 0, or -1 when full. */
int mod_topic_set(struct moderation *m, const char *room, const char *by,
		  const char *text, size_t len);
/* The room's topic, or NULL. */
const struct mod_topic *mod_topic(const struct moderation *m,
				  const char *room);

/* The files' text: the bans in force at now (dropping those over),
 * the topics.  Each returns its length; the buffer must hold
 * BANS_MAX * BAN_LINE_MAX and MOD_TOPICS_MAX * MOD_TOPIC_LINE_MAX
 * bytes. */
size_t mod_bans_text(struct moderation *m, long long now, char *buf,
		     size_t size);
size_t mod_topics_text(const struct moderation *m, char *buf, size_t size);
/* Reads the topics file's text: "room TAB by TAB text LF" a line; a bad
 * line is skipped alone.  Returns how many were skipped. */
size_t mod_topics_parse(struct moderation *m, const char *text, size_t len);

#endif
