/* ignore.c — whom each person ignores (ignore.h). */
#include "ignore.h"
#include "log.h"
#include "namecmp.h"
#include "reply.h"
#include "acctfile.h"
#include "xignore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IGNORE_SUB "ignore"

int ignore_has(const struct ignores *ig, const char *name, size_t len)
{
	for (size_t i = 0; ig && i < ig->n; i++)
		if (name_same(ig->names[i], strlen(ig->names[i]), name, len))
			return 1;
	return 0;
}

static void add(struct ignores *ig, const char *name, size_t len)
{
	memcpy(ig->names[ig->n], name, len);
	ig->names[ig->n][len] = '\0';
	ig->n++;
}

size_t ignore_parse(struct ignores *ig, const char *buf, size_t len)
{
	size_t start = 0;
	ig->n = 0;
	while (start < len && ig->n < IGNORE_MAX) {
		const char *nl = memchr(buf + start, '\n', len - start);
		if (!nl)
			break; /* a cut last line */
		size_t n = (size_t)(nl - (buf + start));
		if (name_valid(buf + start, n) &&
		    !ignore_has(ig, buf + start, n))
			add(ig, buf + start, n);
		start += n + 1;
	}
	return ig->n;
}

int ignore_strict(struct ignores *ig, const char *buf, size_t len)
{
	size_t start = 0;
	ig->n = 0;
	if (len > IGNORE_MAX * (NAME_LEN_MAX + 1))
		return -1;
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t n = nl ? (size_t)(nl - (buf + start)) : 0;
		if (!nl || ig->n == IGNORE_MAX ||
		    !name_valid(buf + start, n) ||
		    ignore_has(ig, buf + start, n)) {
			ig->n = 0;
			return -1;
		}
		add(ig, buf + start, n);
		start += n + 1;
	}
	return 0;
}

size_t ignore_format(const struct ignores *ig, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < ig->n; i++) {
		size_t n = strlen(ig->names[i]);
		if (o + n + 1 > size)
			break; /* cannot happen with IGNORE_FILE_MAX */
		memcpy(out + o, ig->names[i], n);
		out[o + n] = '\n';
		o += n + 1;
	}
	return o;
}

static int persistent(const struct chat *ch, const struct chatter *c)
{
	return c->account && ch->state_dir;
}

static void load_file(struct chat *ch, struct chatter *c);

void ignore_load(struct chat *ch, struct chatter *c)
{
	if (!c->account)
		return;
	load_file(ch, c);
	xignore_login(ch, c); /* across hosts: the shared list, later */
}

/* c's list from this host's file (the fallback across hosts). */
static void load_file(struct chat *ch, struct chatter *c)
{
	static char buf[IGNORE_FILE_MAX];
	if (!persistent(ch, c))
		return;
	ssize_t n = acctfile_read(ch->state_dir, IGNORE_SUB, c->m.name, buf,
				   sizeof buf);
	if (n < 0)
		log_msg(LOG_ERR, "cannot read %s's ignore list in %s: %s",
			c->m.name, ch->state_dir, strerror(errno));
	if (n <= 0)
		return;
	if (!c->ign && !(c->ign = calloc(1, sizeof *c->ign))) {
		log_msg(LOG_ERR, "out of memory loading an ignore list");
		return;
	}
	ignore_parse(c->ign, buf, (size_t)n);
}

/* Writes c's list to this host's file: 0, or -1 (logged). */
static int save_file(struct chat *ch, struct chatter *c)
{
	char buf[IGNORE_FILE_MAX];
	if (!persistent(ch, c))
		return 0;
	size_t n = c->ign ? ignore_format(c->ign, buf, sizeof buf) : 0;
	if (acctfile_write(ch->state_dir, IGNORE_SUB, c->m.name, buf, n) == 0)
		return 0;
	log_msg(LOG_ERR, "cannot write %s's ignore list in %s: %s", c->m.name,
		ch->state_dir, strerror(errno));
	return -1;
}

/* Writes c's list (here, and across hosts); returns a note for the
 * reply ("" when it is kept). */
static const char *save(struct chat *ch, struct chatter *c)
{
	if (c->account)
		xignore_changed(ch, c);
	if (save_file(ch, c) == 0)
		return "";
	return " (It could not be saved for your next log-in.)";
}

int ignore_replace(struct chat *ch, struct chatter *c,
		   const struct ignores *ig)
{
	if (!c->ign && ig->n == 0)
		return save_file(ch, c);
	if (!c->ign && !(c->ign = calloc(1, sizeof *c->ign))) {
		log_msg(LOG_ERR, "out of memory loading an ignore list");
		return -1;
	}
	memcpy(c->ign, ig, sizeof *ig);
	return save_file(ch, c);
}

static void list(struct chat *ch, struct chatter *c)
{
	char line[32 + IGNORE_MAX * (NAME_LEN_MAX + 2)];
	size_t o = 0;
	if (!c->ign || c->ign->n == 0) {
		reply_only(ch, c, FRAME_INFO, "You ignore no one.");
		return;
	}
	o = (size_t)snprintf(line, sizeof line, "You ignore: ");
	for (size_t i = 0; i < c->ign->n; i++)
		o += (size_t)snprintf(line + o, sizeof line - o, "%s%s",
				      i ? ", " : "", c->ign->names[i]);
	reply_only(ch, c, FRAME_INFO, line);
}

/* The name as its holder spells it when logged in, else as asked. */
static void spelling(struct chat *ch, const struct frame *f, char *name)
{
	struct member *m = presence_find(&ch->pres, f->a, f->alen);
	if (m)
		memcpy(name, m->name, NAME_LEN_MAX + 1);
	else
		frame_field(name, NAME_LEN_MAX + 1, f->a, f->alen);
}

static void ignore_one(struct chat *ch, struct chatter *c,
		       const struct frame *f, const char *name)
{
	char msg[160];
	if (name_same(name, strlen(name), c->m.name, strlen(c->m.name))) {
		reply_only(ch, c, FRAME_ERR, "You cannot ignore yourself.");
		return;
	}
	if (ignore_has(c->ign, f->a, f->alen)) {
		snprintf(msg, sizeof msg, "You already ignore %s.", name);
		reply_only(ch, c, FRAME_INFO, msg);
		return;
	}
	if (!c->ign && !(c->ign = calloc(1, sizeof *c->ign))) {
		reply_only(ch, c, FRAME_ERR, "The broker is out of memory.");
		return;
	}
	if (c->ign->n == IGNORE_MAX) {
		snprintf(msg, sizeof msg, "You ignore %d people already; "
			 "/unignore someone first.", IGNORE_MAX);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	add(c->ign, name, strlen(name));
	snprintf(msg, sizeof msg, "You now ignore %s.%s", name, save(ch, c));
	reply_only(ch, c, FRAME_INFO, msg);
}

static void unignore_one(struct chat *ch, struct chatter *c,
			 const char *name)
{
	char msg[160];
	size_t len = strlen(name);
	for (size_t i = 0; c->ign && i < c->ign->n; i++) {
		char *n = c->ign->names[i];
		if (!name_same(n, strlen(n), name, len))
			continue;
		snprintf(msg, sizeof msg, "You no longer ignore %s.", n);
		memmove(c->ign->names[i], c->ign->names[i + 1],
			(c->ign->n - i - 1) * sizeof c->ign->names[0]);
		c->ign->n--;
		size_t mlen = strlen(msg);
		snprintf(msg + mlen, sizeof msg - mlen, "%s", save(ch, c));
		reply_only(ch, c, FRAME_INFO, msg);
		return;
	}
	snprintf(msg, sizeof msg, "You do not ignore %s.", name);
	reply_only(ch, c, FRAME_INFO, msg);
}

void ignore_request(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char name[NAME_LEN_MAX + 1];
	if (f->type == FRAME_IGNORE && f->alen == 0) {
		list(ch, c);
		return;
	}
	if (!name_valid(f->a, f->alen)) {
		reply_only(ch, c, FRAME_ERR, "Names are 1 to 16 letters, "
			   "digits, _ or -.");
		return;
	}
	spelling(ch, f, name);
	if (f->type == FRAME_IGNORE)
		ignore_one(ch, c, f, name);
	else
		unignore_one(ch, c, name);
}

int ignore_blocks(const struct chatter *to, const char *from)
{
	return to->ign && to->ign->n && ignore_has(to->ign, from,
						   strlen(from));
}

void ignore_fanout(struct chat *ch, const struct room *r,
		   const struct chatter *except, const char *from, size_t len)
{
	/* Cuts are deferred (peer.h), so r->members is stable here. */
	for (size_t i = 0; i < r->count; i++) {
		struct chatter *c = chatter_of(r->members[i]);
		if (c != except && !ignore_blocks(c, from))
			peer_queue(&c->peer, ch->frame, len);
	}
}

void ignore_free(struct chatter *c)
{
	free(c->ign);
	c->ign = NULL;
}
