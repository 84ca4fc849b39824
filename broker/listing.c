/* listing.c — lists of names and rooms sent as INFO lines.
 *
 * A line holds at most INFO_CHUNK bytes; a longer list continues on
 * further lines.  One list sends at most LIST_BUDGET bytes of items (or
 * a quarter of the queue bound, if smaller) and ends "and N more": a
 * /who in a room of thousands must not cut off the one who asked.
 * A list ends a reply (reply.h): its last line carries FRAME_LAST
 * (unless the greeting's list of members, which a replay follows). */
#include "listing.h"
#include "away.h"
#include "io.h"
#include "modcmd.h"
#include "namecmp.h"
#include "reply.h"
#include "xhost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INFO_CHUNK 900
#define LIST_BUDGET (32 * 1024)

struct lister {
	struct chat *ch;
	struct chatter *c;
	char line[INFO_CHUNK + 64];
	size_t len, items, budget, omitted;
};

/* Sends the line so far; with FRAME_LAST even an empty one, since the
 * reply must end. */
static void lister_flush(struct lister *l, uint8_t flags)
{
	if (l->len == 0 && !(flags & FRAME_LAST))
		return;
	reply_send(l->ch, l->c, FRAME_INFO, flags, NULL, NULL, l->line, l->len);
	l->len = 0;
	l->items = 0;
}

static void put(struct lister *l, const char *p, size_t len)
{
	if (l->len + len >= sizeof l->line) /* unreachable by the sizes */
		lister_flush(l, 0);
	memcpy(l->line + l->len, p, len);
	l->len += len;
}

static void lister_start(struct lister *l, struct chat *ch,
			 struct chatter *c, const char *prefix)
{
	size_t quarter = ch->peers->queue_max / 4;
	memset(l, 0, sizeof *l);
	l->ch = ch;
	l->c = c;
	l->budget = quarter < LIST_BUDGET ? quarter : LIST_BUDGET;
	put(l, prefix, strlen(prefix));
}

static void lister_add(struct lister *l, const char *item, size_t len)
{
	if (l->budget < len + 2) {
		l->omitted++;
		return;
	}
	l->budget -= len + 2;
	if (l->items && l->len + 2 + len > INFO_CHUNK) {
		put(l, ",", 1);
		lister_flush(l, 0);
	}
	if (l->items)
		put(l, ", ", 2);
	put(l, item, len);
	l->items++;
}

static void lister_end(struct lister *l, uint8_t last)
{
	if (l->omitted) {
		char more[48];
		int n = snprintf(more, sizeof more, " and %zu more.",
				 l->omitted);
		if (l->len + (size_t)n > INFO_CHUNK)
			lister_flush(l, 0);
		put(l, more, (size_t)n);
	}
	lister_flush(l, last);
}

static void add_remote(void *arg, const char *name, const char *away)
{
	struct lister *l = arg;
	char item[AWAY_LABEL_MAX];
	int n = away[0] ? snprintf(item, sizeof item, "%s (away: %s)", name,
				   away) : -1;
	if (l->c->peer.state != PEER_OPEN)
		return;
	if (n > 0 && (size_t)n < sizeof item)
		lister_add(l, item, (size_t)n);
	else
		lister_add(l, name, strlen(name));
}

void list_members(struct chat *ch, struct chatter *c, const struct room *r,
		  const char *prefix, const struct chatter *except,
		  uint8_t last)
{
	struct lister l;
	char item[AWAY_LABEL_MAX];
	long long now = io_now_ms();
	lister_start(&l, ch, c, prefix);
	for (size_t i = 0; i < r->count && c->peer.state == PEER_OPEN; i++) {
		struct member *m = r->members[i];
		if (chatter_of(m) != except) /* the name, maybe away, idle */
			lister_add(&l, item, away_label(m, item, sizeof item,
							now));
	}
	xhost_each_in_room(ch, r->name, add_remote, &l); /* other hosts' */
	lister_end(&l, last);
}

struct room_count {
	const char *name;
	size_t n;
};

struct room_array {
	struct room_count *v;
	size_t n, cap;
};

static void collect(const struct room *r, void *arg)
{
	struct room_array *a = arg;
	a->v[a->n++] = (struct room_count){ r->name, r->count };
}

/* A room of other hosts: added to its count here, or new. */
static void collect_remote(void *arg, const char *room, size_t n)
{
	struct room_array *a = arg;
	for (size_t i = 0; i < a->n; i++)
		if (name_same(a->v[i].name, strlen(a->v[i].name), room,
			      strlen(room))) {
			a->v[i].n += n;
			return;
		}
	if (a->n < a->cap)
		a->v[a->n++] = (struct room_count){ room, n };
}

static int by_name(const void *x, const void *y)
{
	const struct room_count *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* "Rooms (2): lobby (3), x (1)", sorted by name; every host's. */
void list_rooms(struct chat *ch, struct chatter *c)
{
	size_t total = ch->pres.room_count + xhost_room_total(ch);
	struct room_array a = { calloc(total ? total : 1, sizeof *a.v), 0,
				total };
	if (!a.v) {
		reply_only(ch, c, FRAME_ERR, "The broker is out of memory.");
		return;
	}
	presence_each_room(&ch->pres, collect, &a);
	xhost_each_room(ch, collect_remote, &a);
	qsort(a.v, a.n, sizeof *a.v, by_name);
	struct lister l;
	char prefix[48], item[ROOM_LEN_MAX + 40 + MOD_TOPIC_MAX];
	snprintf(prefix, sizeof prefix, "Rooms (%zu): ", a.n);
	lister_start(&l, ch, c, prefix);
	for (size_t i = 0; i < a.n && c->peer.state == PEER_OPEN; i++) {
		const char *topic = mod_topic_text(ch, a.v[i].name);
		int n = snprintf(item, sizeof item, "%s (%zu)%s%s%s",
				 a.v[i].name, a.v[i].n,
				 topic ? " \"" : "", topic ? topic : "",
				 topic ? "\"" : "");
		lister_add(&l, item, (size_t)n);
	}
	lister_end(&l, FRAME_LAST);
	free(a.v);
}
