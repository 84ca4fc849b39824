/* xmod.c — moderation across hosts (xmod.h): bans and mutes shared in
 * Redis, a change announced to every host, a kick of a person of
 * another host done by that host.
 *
 * Keys (PREFIX as xhost.c's):
 *   PREFIXbans    a hash: a ban's key -> its line (xmod_wire.h)
 *   PREFIXmutes   a hash: a lower-case name -> "UNTIL TAB BY TAB DUR"
 *   PREFIXmod     a stream (MAXLEN ~ XMOD_KEEP): each ban, unban,
 *                 mute, unmute and kick, read by every host with the
 *                 presence streams (one XREAD); the host that made it
 *                 skips its own
 *   PREFIXmodhosts a hash: host ID -> 1, the hosts whose bans file
 *                 Redis has taken (below); "t:" ID -> 1, whose topics
 *                 file (xtopic.c)
 *   PREFIXtopics  a hash: a room's name in lower case -> "BY TAB TEXT"
 *                 (xtopic.c; a change is a topic entry of PREFIXmod)
 * A change is one script (EVAL: atomic): the hash and the entry agree.
 *
 * Redis holds the list.  At every UP (xmod_up) the merge script pushes
 * the changes made here while Redis was away (at most XMOD_DIRTY_MAX;
 * past that a change stays here until the next merge, which drops it),
 * drops the bans and mutes that are over, and returns the hashes (at
 * most BANS_MAX bans and MOD_MUTES_MAX mutes are read) and the stream's
 * last ID: this host's bans and mutes become the shared ones (the bans
 * file written; the people here a ban covers removed), and the stream
 * is read from that ID on (what came before is in the hashes).  The
 * first merge of a host that Redis has not seen (no field in
 * PREFIXmodhosts) also shares the bans of its bans file: every host
 * brings its bans once, when it first joins, and takes the shared list
 * from then on (so a ban lifted elsewhere while it was away stays
 * lifted).
 *
 * A kick needs the link: without it the operator is told the other
 * servers cannot be reached now.
 *
 * Here: the changes made on this host, sent (or kept); xmod_read.c
 * holds the merge and the entries read. */
#include "xmod_int.h"

#include "chat.h"
#include "log.h"
#include "names.h"
#include "modcmd.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char change_script[] =
    "if ARGV[1] == 'set' then\n"
    "  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
    "elseif ARGV[1] == 'del' then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[2])\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'h',\n"
    "  ARGV[4], 'k', ARGV[5], 't', ARGV[2], 'v', ARGV[3])\n"
    "return 1\n";

static struct xhost *linked(struct chat *ch)
{
	return ch->xh && ch->xh->mod ? ch->xh : NULL;
}

static void change_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	if (!xh->closing && v && v->type != RESP_INTEGER)
		xh_bad(xh, "a bad answer to a moderation change");
}

int xmod_change_send(struct xhost *xh, const char *hash, const char *op,
		     const char *kind, const char *key, const char *value)
{
	struct xmod *md = xh->mod;
	struct redis *l = store_redis_link(xh->st);
	char keep[24];
	if (!l || !xh->ready || !md->ready || md->out)
		return -1;
	snprintf(keep, sizeof keep, "%d", XMOD_KEEP);
	const char *argv[] = { "EVAL", change_script, "2", hash, md->k_mod,
			       op, key, value, xh->id, kind, keep };
	size_t lens[11];
	for (int i = 0; i < 11; i++)
		lens[i] = strlen(argv[i]);
	return redis_command(l, 11, argv, lens, change_reply, xh);
}


/* A ban or mute change: sent, or kept for the next merge. */
static void change(struct xhost *xh, int mute, int set, const char *key,
		   const char *value)
{
	struct xmod *md = xh->mod;
	const char *kind = mute ? set ? "mute" : "unmute" :
				  set ? "ban" : "unban";
	if (xmod_change_send(xh, mute ? md->k_mutes : md->k_bans,
			set ? "set" : "del", kind, key, value) == 0)
		return;
	if (md->ndirty == XMOD_DIRTY_MAX) {
		log_msg(LOG_WARNING, "moderation across hosts: more than %d "
			"changes while Redis is away; the %s of %s stays on "
			"this host until the next merge", XMOD_DIRTY_MAX, kind,
			key);
		return;
	}
	struct xdirty *d = &md->dirty[md->ndirty++];
	d->mute = mute;
	d->set = set;
	snprintf(d->key, sizeof d->key, "%s", key);
	snprintf(d->value, sizeof d->value, "%s", value);
	if (xh->ready && !md->ready && !md->out)
		xmod_merge_send(xh); /* a merge that could not be sent before */
}

int xmod_ban(struct chat *ch, const struct ban *b)
{
	struct xhost *xh = linked(ch);
	char key[XMOD_KEY_MAX], line[BAN_LINE_MAX];
	if (!xh)
		return -1;
	xmodwire_ban_key(b, key);
	size_t n = ban_format(b, line, sizeof line);
	line[n ? n - 1 : 0] = '\0'; /* its LF */
	change(xh, 0, 1, key, line);
	return 0;
}

int xmod_unban(struct chat *ch, const struct ban *b, const char *by)
{
	struct xhost *xh = linked(ch);
	char key[XMOD_KEY_MAX];
	if (!xh)
		return -1;
	xmodwire_ban_key(b, key);
	change(xh, 0, 0, key, by);
	return 0;
}

int xmod_mute(struct chat *ch, const char *name, long long until,
	      const char *by, const char *dur)
{
	struct xhost *xh = linked(ch);
	struct xmute m;
	char value[XMOD_VALUE_MAX];
	if (!xh)
		return -1;
	name_lower(m.name, name);
	m.until = until;
	snprintf(m.by, sizeof m.by, "%s", by);
	if (strlen(dur) > XMOD_DUR_MAX)
		dur = ""; /* said as "muted", without how long */
	snprintf(m.dur, sizeof m.dur, "%s", dur);
	xmodwire_mute_value(&m, value);
	change(xh, 1, 1, m.name, value);
	return 0;
}

int xmod_unmute(struct chat *ch, const char *name, const char *by)
{
	struct xhost *xh = linked(ch);
	char key[NAME_LEN_MAX + 1];
	if (!xh)
		return -1;
	name_lower(key, name);
	change(xh, 1, 0, key, by);
	return 0;
}

int xmod_remote(struct chat *ch, const char *name, size_t len, char *out)
{
	struct xhost *xh = linked(ch);
	struct xperson *p;
	if (!xh || !name_valid(name, len) ||
	    presence_find(&ch->pres, name, len) ||
	    !(p = xp_find(xh, name, len)))
		return 0;
	snprintf(out, NAME_LEN_MAX + 1, "%s", p->name);
	return 1;
}

int xmod_kick(struct chat *ch, struct chatter *c, const char *name,
	      size_t len, const char *why, size_t whylen)
{
	struct xhost *xh = linked(ch);
	char who[NAME_LEN_MAX + 1], key[NAME_LEN_MAX + 1], msg[160];
	char value[XMOD_VALUE_MAX];
	if (!xmod_remote(ch, name, len, who))
		return 0;
	name_lower(key, who);
	snprintf(value, sizeof value, "%s\t%.*s", mod_by(c), (int)whylen, why);
	for (char *p = value; *p; p++)
		if (*p == '\t' && p != strchr(value, '\t'))
			*p = ' '; /* the reason's own TABs */
	if (xmod_change_send(xh, xh->mod->k_bans, "none", "kick", key,
			     value) != 0) {
		snprintf(msg, sizeof msg, "%s could not be kicked: the other "
			 "servers cannot be reached now.", who);
		reply_only(ch, c, FRAME_ERR, msg);
		return 1;
	}
	ch->mod.stats.kicks++;
	log_msg(LOG_NOTICE, "%s asked the server of %s to kick them",
		mod_by(c), who);
	snprintf(msg, sizeof msg, "%s was kicked (on another server).", who);
	reply_only(ch, c, FRAME_INFO, msg);
	return 1;
}

int xmod_streams(struct xhost *xh, const char **keys, struct stream_id *ids,
		 int max)
{
	struct xmod *md = xh->mod;
	if (!md || !md->ready || max < 1)
		return 0;
	keys[0] = md->k_mod;
	ids[0] = md->last;
	return 1;
}

int xmod_open(struct xhost *xh)
{
	struct xmod *md = calloc(1, sizeof *md);
	if (!md)
		return -1;
	xh_key(xh, md->k_mod, "mod", "");
	xh_key(xh, md->k_bans, "bans", "");
	xh_key(xh, md->k_mutes, "mutes", "");
	xh_key(xh, md->k_init, "modhosts", "");
	xh_key(xh, md->k_topics, "topics", "");
	xh->mod = md;
	return 0;
}

void xmod_free(struct xhost *xh)
{
	free(xh->mod);
	xh->mod = NULL;
}

