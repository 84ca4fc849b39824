/* xmod_read.c — moderation across hosts (xmod.h): what this host
 * reads from Redis.  The merge at every UP (the shared bans and mutes
 * become this host's, after the changes made here while Redis was away
 * are pushed) and the entries of PREFIXmod made on other hosts, acted
 * on as this host's own commands are.  The keys are in xmod.c's
 * header. */
#include "xmod_int.h"

#include "chat.h"
#include "log.h"
#include "modcmd.h"

#include <stdio.h>
#include <string.h>

/* KEYS bans, mutes, mod, modhosts; ARGV bans and mutes read at most,
 * host, keep, the changes' count, then each: its op (bs ban, bd unban,
 * bi a ban of the file, ms mute, md unmute), field, value. */
static const char merge_script[] =
    "local first = redis.call('HSETNX', KEYS[4], ARGV[3], '1') == 1\n"
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
    "  local kind = kinds[op] or (what == 'i' and first and 'ban')\n"
    "  if kind then\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',\n"
    "      'h', ARGV[3], 'k', kind, 't', f, 'v', v)\n"
    "  end\n"
    "  i = i + 3\n"
    "end\n"
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

/* The merge's changes: this host's bans file on its first merge (Redis
 * takes them the first time it sees this host), then the changes kept;
 * argc. */
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

void xmod_merge_send(struct xhost *xh)
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
	md->merged = 1;
	if (!md->tout)
		xmod_go(xh); /* else at the topics' answer (xtopic.c) */
	if (md->ndirty)
		xmod_merge_send(xh); /* made while this merge was on its way */
}

void xmod_go(struct xhost *xh)
{
	struct xmod *md = xh->mod;
	if (md->ready || !md->merged)
		return;
	md->ready = 1;
	store_redis_restream(xh->st);
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

/* One entry's value checked and acted on: 0, or -1 when it is bad.
 * id: the entry's (a takeover's age is read from it). */
static int act(struct chat *ch, const struct xmod_entry *e,
	       const struct stream_id *id)
{
	struct ban b;
	struct xmute m;
	struct xkick k;
	struct xtopic t;
	struct xtake tk;
	char by[BAN_BY_MAX + 1], name[NAME_LEN_MAX + 1];
	switch (e->kind) {
	case XM_TOPIC:
		if (xmodwire_topic(&e->target, &e->value, &t) != 0)
			return -1;
		xtopic_act(ch, &t);
		return 0;
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
	case XM_TAKEOVER:
		if (xmodwire_take(&e->target, &e->value, &tk) != 0 ||
		    strlen(tk.host) != e->host.len ||
		    memcmp(tk.host, e->host.s, e->host.len) != 0)
			return -1;
		xtake_act(ch, &tk, id->ms);
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
	else if (act(xh->ch, &e, id) != 0)
		xh_bad(xh, "a moderation entry with a bad value");
	return 1;
}

void xmod_up(struct xhost *xh)
{
	if (!xh->mod)
		return;
	xh->mod->ready = 0;
	xh->mod->merged = 0;
	xmod_merge_send(xh);
	xtopic_merge_send(xh); /* after it on the link */
}

