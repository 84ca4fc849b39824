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
 *   PREFIXmodinit a string: some host has shared its bans (below)
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
 * first merge of a broker whose Redis has no PREFIXmodinit yet also
 * shares the bans of its bans file, so the first host brings its bans
 * and a later one takes the shared list.
 *
 * A kick needs the link: without it the operator is told the other
 * servers cannot be reached now. */
#include "xmod.h"
#include "xmod_wire.h"
#include "xhost_int.h"

#include "chat.h"
#include "log.h"
#include "modcmd.h"
#include "reply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XMOD_KEEP 1000        /* MAXLEN ~ of PREFIXmod */
#define XMOD_DIRTY_MAX 64     /* changes kept while Redis is away */
/* The merge's arguments: 12, then 3 a change and 3 a ban shared. */
#define XMOD_ARGS (12 + 3 * (XMOD_DIRTY_MAX + BANS_MAX))
_Static_assert(XMOD_ARGS <= RESP_ARGS_MAX, "the merge fits one command");

/* A change made here not yet in Redis. */
struct xdirty {
	int mute;                      /* PREFIXmutes, else PREFIXbans */
	int set;                       /* HSET value, else HDEL (value BY) */
	char key[XMOD_KEY_MAX];
	char value[XMOD_VALUE_MAX];
};

struct xmod {
	char k_mod[XHOST_KEY_MAX], k_bans[XHOST_KEY_MAX],
	    k_mutes[XHOST_KEY_MAX], k_init[XHOST_KEY_MAX];
	struct stream_id last;
	int ready;             /* merged: PREFIXmod is read from last */
	int out;               /* a merge waits for its answer */
	int shared_file;       /* the bans file was offered (first merge) */
	size_t sent;           /* changes in that merge */
	struct xdirty dirty[XMOD_DIRTY_MAX];
	size_t ndirty;
	struct banlist tmp;    /* the merge's bans, then this host's */
	const char *argv[XMOD_ARGS];
	size_t lens[XMOD_ARGS];
	char lines[BANS_MAX][XMOD_KEY_MAX + BAN_LINE_MAX];
};

static const char change_script[] =
    "if ARGV[1] == 'set' then\n"
    "  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
    "elseif ARGV[1] == 'del' then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[2])\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'h',\n"
    "  ARGV[4], 'k', ARGV[5], 't', ARGV[2], 'v', ARGV[3])\n"
    "return 1\n";

/* KEYS bans, mutes, mod, modinit; ARGV bans and mutes read at most,
 * host, keep, the changes' count, then each: its op (bs ban, bd unban,
 * bi a ban of the file, ms mute, md unmute), field, value. */
static const char merge_script[] =
    "local first = redis.call('EXISTS', KEYS[4]) == 0\n"
    "local kinds = {bs = 'ban', bd = 'unban', ms = 'mute', md = 'unmute'}\n"
    "local i = 6\n"
    "for _ = 1, tonumber(ARGV[5]) do\n"
    "  local op, f, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  local key = string.sub(op, 1, 1) == 'b' and KEYS[1] or KEYS[2]\n"
    "  local what = string.sub(op, 2, 2)\n"
    "  if what == 's' or (what == 'i' and first) then\n"
    "    redis.call('HSET', key, f, v)\n"
    "  elseif what == 'd' then\n"
    "    redis.call('HDEL', key, f)\n"
    "  end\n"
    "  if kinds[op] then\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',\n"
    "      'h', ARGV[3], 'k', kinds[op], 't', f, 'v', v)\n"
    "  end\n"
    "  i = i + 3\n"
    "end\n"
    "redis.call('SET', KEYS[4], '1')\n"
    "local now = tonumber(redis.call('TIME')[1])\n"
    "local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)\n"
    "local out = {last[1] and last[1][1] or '0-0'}\n"
    "local pat = {'^ban\\t[^\\t]*\\t(%d+)\\t', '^(%d+)\\t'}\n"
    "for k = 1, 2 do\n"
    "  local all, part = redis.call('HGETALL', KEYS[k]), {}\n"
    "  for j = 1, #all, 2 do\n"
    "    local u = tonumber(string.match(all[j + 1], pat[k]) or '')\n"
    "    if u and u ~= 0 and u <= now then\n"
    "      redis.call('HDEL', KEYS[k], all[j])\n"
    "    elseif #part < 2 * tonumber(ARGV[k]) then\n"
    "      part[#part + 1] = all[j]\n"
    "      part[#part + 1] = all[j + 1]\n"
    "    end\n"
    "  end\n"
    "  out[k + 1] = part\n"
    "end\n"
    "return out\n";

static void lower(char *out, const char *s)
{
	size_t i = 0;
	for (; s[i] && i < NAME_LEN_MAX; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

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

/* One change (op set, del or none) as one script: 0, or -1 when it
 * could not be sent now. */
static int change_send(struct xhost *xh, const char *hash, const char *op,
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

static void merge_send(struct xhost *xh);

/* A ban or mute change: sent, or kept for the next merge. */
static void change(struct xhost *xh, int mute, int set, const char *key,
		   const char *value)
{
	struct xmod *md = xh->mod;
	const char *kind = mute ? set ? "mute" : "unmute" :
				  set ? "ban" : "unban";
	if (change_send(xh, mute ? md->k_mutes : md->k_bans,
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
		merge_send(xh); /* a merge that could not be sent before */
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
	lower(m.name, name);
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
	lower(key, name);
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
	lower(key, who);
	snprintf(value, sizeof value, "%s\t%.*s", mod_by(c), (int)whylen, why);
	for (char *p = value; *p; p++)
		if (*p == '\t' && p != strchr(value, '\t'))
			*p = ' '; /* the reason's own TABs */
	if (change_send(xh, xh->mod->k_bans, "none", "kick", key, value) != 0) {
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

/* The merge's changes: this host's bans file on the first merge (when
 * Redis has none yet), then the changes kept; argc. */
static int merge_args(struct xhost *xh, int argc)
{
	struct xmod *md = xh->mod;
	size_t nb = md->shared_file ? 0 : xh->ch->mod.bans.n;
	for (size_t i = 0; i < nb; i++) {
		char *key = md->lines[i], *line = key + XMOD_KEY_MAX;
		xmodwire_ban_key(&xh->ch->mod.bans.v[i], key);
		size_t n = ban_format(&xh->ch->mod.bans.v[i], line,
				      BAN_LINE_MAX);
		line[n ? n - 1 : 0] = '\0';
		const char *a[] = { "bi", key, line };
		memcpy(&md->argv[argc], a, sizeof a);
		argc += 3;
	}
	for (size_t i = 0; i < md->ndirty; i++) {
		const struct xdirty *d = &md->dirty[i];
		const char *a[] = { d->mute ? d->set ? "ms" : "md" :
				    d->set ? "bs" : "bd", d->key, d->value };
		memcpy(&md->argv[argc], a, sizeof a);
		argc += 3;
	}
	return argc;
}

static void merge_reply(void *ctx, const struct resp_value *v);

static void merge_send(struct xhost *xh)
{
	struct xmod *md = xh->mod;
	struct redis *l = store_redis_link(xh->st);
	char nbans[24], nmutes[24], keep[24], nch[24];
	if (!l || md->out)
		return;
	snprintf(nbans, sizeof nbans, "%d", BANS_MAX);
	snprintf(nmutes, sizeof nmutes, "%d", MOD_MUTES_MAX);
	snprintf(keep, sizeof keep, "%d", XMOD_KEEP);
	const char *head[] = { "EVAL", merge_script, "4", md->k_bans,
			       md->k_mutes, md->k_mod, md->k_init, nbans,
			       nmutes, xh->id, keep, nch };
	memcpy(md->argv, head, sizeof head);
	int argc = merge_args(xh, 12);
	snprintf(nch, sizeof nch, "%d", (argc - 12) / 3);
	for (int i = 0; i < argc; i++)
		md->lens[i] = strlen(md->argv[i]);
	if (redis_command(l, argc, md->argv, md->lens, merge_reply, xh) != 0) {
		log_msg(LOG_WARNING, "moderation across hosts: the merge "
			"could not be sent; tried again at the next change");
		return;
	}
	md->out = 1;
	md->sent = md->ndirty;
}

/* A change kept (not yet in Redis) made here again, over the merge. */
static void dirty_redo(struct chat *ch, const struct xdirty *d)
{
	struct ban b;
	struct xmute m;
	struct xstr key = { d->key, strlen(d->key) },
		    val = { d->value, strlen(d->value) };
	if (!d->mute && d->set && xmodwire_ban(&key, &val, &b) == 0)
		(void)banlist_add(&ch->mod.bans, &b);
	else if (!d->mute && !d->set && ban_target(key.s, key.len, &b) == 0)
		(void)banlist_remove(&ch->mod.bans, &b);
	else if (d->mute && d->set && xmodwire_mute(&key, &val, &m) == 0)
		(void)mod_mute(&ch->mod, m.name, m.until);
	else if (d->mute && !d->set)
		(void)mod_unmute(&ch->mod, d->key);
}

/* The shared bans (HGETALL's pairs) become this host's. */
static size_t bans_load(struct xhost *xh, const struct resp_value *a)
{
	struct xmod *md = xh->mod;
	struct ban b;
	md->tmp.n = 0;
	for (size_t i = 0; i + 1 < a->n; i += 2) {
		const struct resp_value *k = &a->elem[i], *v = &a->elem[i + 1];
		struct xstr key = { k->str, k->len }, val = { v->str, v->len };
		if (k->type != RESP_BULK || v->type != RESP_BULK ||
		    xmodwire_ban(&key, &val, &b) != 0 ||
		    banlist_add(&md->tmp, &b) != 0)
			xh_bad(xh, "a shared ban that is not valid");
	}
	xh->ch->mod.bans = md->tmp;
	return md->tmp.n;
}

static size_t mutes_load(struct xhost *xh, const struct resp_value *a)
{
	struct moderation *mod = &xh->ch->mod;
	struct xmute m;
	mod->nmutes = 0;
	for (size_t i = 0; i + 1 < a->n; i += 2) {
		const struct resp_value *k = &a->elem[i], *v = &a->elem[i + 1];
		struct xstr key = { k->str, k->len }, val = { v->str, v->len };
		if (k->type != RESP_BULK || v->type != RESP_BULK ||
		    xmodwire_mute(&key, &val, &m) != 0 ||
		    mod_mute(mod, m.name, m.until) != 0)
			xh_bad(xh, "a shared mute that is not valid");
	}
	return mod->nmutes;
}

static void merge_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	struct xmod *md = xh->mod;
	struct stream_id last;
	if (xh->closing)
		return;
	md->out = 0;
	if (!v)
		return; /* the link is lost: merged again at the next UP */
	if (v->type != RESP_ARRAY || v->n != 3 ||
	    v->elem[0].type != RESP_BULK ||
	    stream_id_parse(v->elem[0].str, v->elem[0].len, &last) != 0 ||
	    v->elem[1].type != RESP_ARRAY || v->elem[2].type != RESP_ARRAY) {
		xh_bad(xh, "a bad answer to the moderation merge");
		return;
	}
	md->ndirty -= md->sent; /* those are in Redis now */
	memmove(md->dirty, md->dirty + md->sent,
		md->ndirty * sizeof *md->dirty);
	md->shared_file = 1;
	size_t nb = bans_load(xh, &v->elem[1]);
	size_t nm = mutes_load(xh, &v->elem[2]);
	for (size_t i = 0; i < md->ndirty; i++)
		dirty_redo(xh->ch, &md->dirty[i]);
	mod_save_bans(xh->ch, NULL);
	for (size_t i = 0; i < xh->ch->mod.bans.n; i++)
		if (ban_active(&xh->ch->mod.bans.v[i], mod_now()))
			(void)mod_ban_people(xh->ch, &xh->ch->mod.bans.v[i]);
	log_msg(LOG_INFO, "moderation across hosts: %zu shared bans and %zu "
		"mutes merged from Redis", nb, nm);
	md->last = last;
	md->ready = 1;
	store_redis_restream(xh->st);
	if (md->ndirty)
		merge_send(xh); /* made while this merge was on its way */
}

/* Entries of PREFIXmod made on another host, acted on here. */

static void on_ban(struct chat *ch, const struct ban *b)
{
	char target[BAN_TARGET_TEXT_MAX];
	ban_target_text(b, target, sizeof target);
	if (banlist_add(&ch->mod.bans, b) != 0) {
		log_msg(LOG_WARNING, "moderation across hosts: the ban of %s "
			"by %s is not kept here: too many bans (%d)", target,
			b->by, BANS_MAX);
		return;
	}
	log_msg(LOG_NOTICE, "%s banned %s (on another server)", b->by,
		target);
	mod_save_bans(ch, NULL);
	if (ban_active(b, mod_now()))
		(void)mod_ban_people(ch, b);
}

static void on_unban(struct chat *ch, const struct xstr *key,
		     const char *by)
{
	struct ban b;
	memset(&b, 0, sizeof b);
	if (ban_target(key->s, key->len, &b) != 0 ||
	    !banlist_remove(&ch->mod.bans, &b))
		return;
	log_msg(LOG_NOTICE, "%s lifted the ban on %.*s (on another server)",
		by, (int)key->len, key->s);
	mod_save_bans(ch, NULL);
}

static void on_mute(struct chat *ch, const struct xmute *m)
{
	struct member *p = presence_find(&ch->pres, m->name, strlen(m->name));
	if (mod_mute(&ch->mod, p ? chatter_of(p)->m.name : m->name,
		     m->until) != 0) {
		log_msg(LOG_WARNING, "moderation across hosts: the mute of %s "
			"is not kept here: too many mutes (%d)", m->name,
			MOD_MUTES_MAX);
		return;
	}
	log_msg(LOG_NOTICE, "%s muted %s%s%s (on another server)", m->by,
		m->name, m->dur[0] ? " for " : "", m->dur);
	if (p)
		mod_tell_muted(ch, chatter_of(p), m->by, m->dur);
}

static void on_unmute(struct chat *ch, const char *name, const char *by)
{
	if (!mod_unmute(&ch->mod, name))
		return;
	log_msg(LOG_NOTICE, "%s unmuted %s (on another server)", by, name);
	struct member *p = presence_find(&ch->pres, name, strlen(name));
	if (p)
		mod_notice(ch, chatter_of(p), "You may speak again.");
}

static void on_kick(struct chat *ch, const struct xkick *k)
{
	struct member *p = presence_find(&ch->pres, k->name, strlen(k->name));
	if (p)
		(void)mod_remove(ch, k->by, chatter_of(p), "kicked", k->reason,
				 strlen(k->reason));
}

/* One entry's value checked and acted on: 0, or -1 when it is bad. */
static int act(struct chat *ch, const struct xmod_entry *e)
{
	struct ban b;
	struct xmute m;
	struct xkick k;
	char by[BAN_BY_MAX + 1], name[NAME_LEN_MAX + 1];
	switch (e->kind) {
	case XM_BAN:
		if (xmodwire_ban(&e->target, &e->value, &b) != 0)
			return -1;
		on_ban(ch, &b);
		return 0;
	case XM_MUTE:
		if (xmodwire_mute(&e->target, &e->value, &m) != 0)
			return -1;
		on_mute(ch, &m);
		return 0;
	case XM_KICK:
		if (xmodwire_kick(&e->target, &e->value, &k) != 0)
			return -1;
		on_kick(ch, &k);
		return 0;
	default:
		break;
	}
	if (xmodwire_by(&e->value, by) != 0)
		return -1;
	if (e->kind == XM_UNBAN) {
		on_unban(ch, &e->target, by);
		return 0;
	}
	if (!name_valid(e->target.s, e->target.len))
		return -1;
	memcpy(name, e->target.s, e->target.len);
	name[e->target.len] = '\0';
	on_unmute(ch, name, by);
	return 0;
}

int xmod_entry(struct xhost *xh, const char *key, size_t keylen,
	       const struct stream_id *id, const struct resp_value *fields)
{
	struct xmod *md = xh->mod;
	struct xmod_entry e;
	const char *why = NULL;
	if (!md || keylen != strlen(md->k_mod) ||
	    memcmp(key, md->k_mod, keylen) != 0)
		return 0;
	if (xh->closing || !md->ready || stream_id_cmp(id, &md->last) <= 0)
		return 1;
	md->last = *id;
	if (xmodwire_entry(fields, &e, &why) != 0)
		xh_bad(xh, why);
	else if (e.host.len == strlen(xh->id) &&
		 memcmp(e.host.s, xh->id, e.host.len) == 0)
		return 1; /* made here, done here */
	else if (act(xh->ch, &e) != 0)
		xh_bad(xh, "a moderation entry with a bad value");
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

void xmod_up(struct xhost *xh)
{
	if (!xh->mod)
		return;
	xh->mod->ready = 0;
	merge_send(xh);
}

int xmod_open(struct xhost *xh)
{
	struct xmod *md = calloc(1, sizeof *md);
	if (!md)
		return -1;
	xh_key(xh, md->k_mod, "mod", "");
	xh_key(xh, md->k_bans, "bans", "");
	xh_key(xh, md->k_mutes, "mutes", "");
	xh_key(xh, md->k_init, "modinit", "");
	xh->mod = md;
	return 0;
}

void xmod_free(struct xhost *xh)
{
	free(xh->mod);
	xh->mod = NULL;
}
