/* xtopic.c — room topics across hosts (xmod.h): a topic set or cleared
 * on one host is set on every host, and the people of that room on
 * each are shown it as the people of its own host are.
 *
 * PREFIXtopics (a hash: a room's name in lower case -> "BY TAB TEXT",
 * xmod_wire.h) holds them; a change is one script (xmod.c's, HSET or
 * HDEL with a topic entry of PREFIXmod), read by every host with the
 * other moderation entries.  At every UP, right after the moderation
 * merge on the same link, the topics' merge pushes the changes made
 * here while Redis was away (at most XMOD_DIRTY_MAX rooms; the latest
 * of each), and, the first time Redis sees this host ("t:" ID in
 * PREFIXmodhosts), the topics of its topics file; it returns the hash
 * (at most MOD_TOPICS_MAX pairs), which becomes this host's topics (the
 * topics file written; nobody told: a merge is quiet).  PREFIXmod is
 * read only once both merges are answered, from the moderation merge's
 * last ID, so a change made between them is applied again, in order. */
#include "xmod_int.h"

#include "chat.h"
#include "log.h"
#include "modcmd.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* KEYS topics, modhosts, mod; ARGV host, keep, topics read at most,
 * the changes' count, then each: op (s set, d cleared, i of the file:
 * only the first time), room, value. */
static const char merge_script[] =
    "local first = redis.call('HSETNX', KEYS[2], 't:' .. ARGV[1], '1')"
    " == 1\n"
    "local i = 5\n"
    "for _ = 1, tonumber(ARGV[4]) do\n"
    "  local op, f, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  if op == 's' or (op == 'i' and first) then\n"
    "    redis.call('HSET', KEYS[1], f, v)\n"
    "  elseif op == 'd' then\n"
    "    redis.call('HDEL', KEYS[1], f)\n"
    "  end\n"
    "  if op ~= 'i' or first then\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*',\n"
    "      'h', ARGV[1], 'k', 'topic', 't', f, 'v', v)\n"
    "  end\n"
    "  i = i + 3\n"
    "end\n"
    "local all, part = redis.call('HGETALL', KEYS[1]), {}\n"
    "for j = 1, math.min(#all, 2 * tonumber(ARGV[3])) do\n"
    "  part[j] = all[j]\n"
    "end\n"
    "return part\n";

static void lower_room(char *out, const char *room)
{
	size_t i = 0;
	for (; room[i] && i < ROOM_LEN_MAX; i++)
		out[i] = (char)tolower((unsigned char)room[i]);
	out[i] = '\0';
}

/* A topic as this host has it into t ("" text: none). */
static void topic_of(struct chat *ch, const char *room, const char *by,
		     struct xtopic *t)
{
	const struct mod_topic *mt = mod_topic(&ch->mod, room);
	lower_room(t->room, room);
	snprintf(t->by, sizeof t->by, "%s", mt ? mt->by : by);
	snprintf(t->text, sizeof t->text, "%s", mt ? mt->text : "");
}

int xmod_topic(struct chat *ch, const char *room, const char *by)
{
	struct xhost *xh = ch->xh && ch->xh->mod ? ch->xh : NULL;
	struct xtopic t;
	char value[XMOD_VALUE_MAX];
	if (!xh)
		return -1;
	struct xmod *md = xh->mod;
	topic_of(ch, room, by, &t);
	xmodwire_topic_value(&t, value);
	if (xmod_change_send(xh, md->k_topics, t.text[0] ? "set" : "del",
			     "topic", t.room, value) == 0)
		return 0;
	size_t i = 0;
	while (i < md->ntdirty && strcmp(md->tdirty[i].room, t.room) != 0)
		i++;
	if (i == XMOD_DIRTY_MAX) {
		log_msg(LOG_WARNING, "moderation across hosts: more than %d "
			"topics changed while Redis is away; the topic of %s "
			"stays on this host until the next merge",
			XMOD_DIRTY_MAX, room);
		return 0;
	}
	if (i == md->ntdirty)
		md->ntdirty++;
	md->tdirty[i] = t;
	return 0;
}

/* One change for the merge: argv from *argc on; its value in buf. */
static void merge_arg(struct xmod *md, int *argc, const char *op,
		      const struct xtopic *t, char *buf)
{
	xmodwire_topic_value(t, buf);
	md->targv[(*argc)++] = op;
	md->targv[(*argc)++] = t->room;
	md->targv[(*argc)++] = buf;
}

static void merge_reply(void *ctx, const struct resp_value *v);

void xtopic_merge_send(struct xhost *xh)
{
	struct xmod *md = xh->mod;
	struct chat *ch = xh->ch;
	struct redis *l = store_redis_link(xh->st);
	char keep[24], most[24], nch[24];
	size_t nv = 0;
	if (!l || md->tout)
		return;
	snprintf(keep, sizeof keep, "%d", XMOD_KEEP);
	snprintf(most, sizeof most, "%d", MOD_TOPICS_MAX);
	const char *head[] = { "EVAL", merge_script, "3", md->k_topics,
			       md->k_init, md->k_mod, xh->id, keep, most, nch };
	int argc = 0;
	for (; argc < 10; argc++)
		md->targv[argc] = head[argc];
	for (size_t i = 0; !md->tshared && i < ch->mod.ntopics; i++) {
		struct xtopic *t = &md->tfile[i];
		topic_of(ch, ch->mod.topics[i].room, "", t);
		merge_arg(md, &argc, "i", t, md->tvals[nv++]);
	}
	for (size_t i = 0; i < md->ntdirty; i++)
		merge_arg(md, &argc, md->tdirty[i].text[0] ? "s" : "d",
			  &md->tdirty[i], md->tvals[nv++]);
	snprintf(nch, sizeof nch, "%d", (argc - 10) / 3);
	for (int i = 0; i < argc; i++)
		md->tlens[i] = strlen(md->targv[i]);
	if (redis_command(l, argc, md->targv, md->tlens, merge_reply, xh)) {
		log_msg(LOG_WARNING, "moderation across hosts: the topics' "
			"merge could not be sent; tried again at the next UP");
		return;
	}
	md->tout = 1;
	md->tsent = md->ntdirty;
}

/* The shared topics (HGETALL's pairs) become this host's; then the
 * changes made here since the merge was sent, again. */
static size_t topics_load(struct xhost *xh, const struct resp_value *a)
{
	struct xmod *md = xh->mod;
	struct moderation *mod = &xh->ch->mod;
	struct xtopic t;
	mod->ntopics = 0;
	for (size_t i = 0; i + 1 < a->n; i += 2) {
		const struct resp_value *k = &a->elem[i], *v = &a->elem[i + 1];
		struct xstr key = { k->str, k->len }, val = { v->str, v->len };
		if (k->type != RESP_BULK || v->type != RESP_BULK ||
		    xmodwire_topic(&key, &val, &t) != 0 || !t.text[0] ||
		    mod_topic_set(mod, t.room, t.by, t.text,
				  strlen(t.text)) != 0)
			xh_bad(xh, "a shared topic that is not valid");
	}
	size_t n = mod->ntopics;
	for (size_t i = 0; i < md->ntdirty; i++)
		(void)mod_topic_set(mod, md->tdirty[i].room, md->tdirty[i].by,
				    md->tdirty[i].text,
				    strlen(md->tdirty[i].text));
	return n;
}

static void merge_reply(void *ctx, const struct resp_value *v)
{
	struct xhost *xh = ctx;
	struct xmod *md = xh->mod;
	if (xh->closing)
		return;
	md->tout = 0;
	if (!v)
		return; /* the link is lost: merged again at the next UP */
	if (v->type != RESP_ARRAY || v->n % 2) {
		xh_bad(xh, "a bad answer to the topics' merge");
	} else {
		md->ntdirty -= md->tsent; /* those are in Redis now */
		memmove(md->tdirty, md->tdirty + md->tsent,
			md->ntdirty * sizeof *md->tdirty);
		md->tshared = 1;
		size_t n = topics_load(xh, v);
		mod_save_topics(xh->ch, NULL);
		log_msg(LOG_INFO, "moderation across hosts: %zu shared topics "
			"merged from Redis", n);
	}
	xmod_go(xh);
}

void xtopic_act(struct chat *ch, const struct xtopic *t)
{
	size_t len = strlen(t->text);
	struct room *r = presence_room(&ch->pres, t->room, strlen(t->room));
	if (mod_topic_set(&ch->mod, r ? r->name : t->room, t->by, t->text,
			  len) != 0) {
		log_msg(LOG_WARNING, "moderation across hosts: the topic of "
			"%s is not kept here: too many topics (%d)", t->room,
			MOD_TOPICS_MAX);
		return;
	}
	mod_save_topics(ch, NULL);
	log_msg(LOG_NOTICE, "%s %s the topic of %s (on another server)%s%s",
		t->by, len ? "set" : "cleared", t->room, len ? ": " : "",
		t->text);
	for (size_t i = 0; r && len && i < r->count; i++)
		mod_queue(ch, chatter_of(r->members[i]), FRAME_TOPIC, t->by,
			  r->name, t->text);
}
