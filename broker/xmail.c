/* xmail.c — offline messages across hosts (xmail.h).
 *
 * Key (PREFIX as xhost.c's):
 *   PREFIXmail:NAME  a list, NAME an account's name in lower case; each
 *                    element one message as a line of the mailbox file
 *                    without its LF ("WHEN TAB FROM TAB TEXT",
 *                    mailbox.h), oldest first
 * Bounded as the file is: at most MAILBOX_MAX messages, of them at
 * most MAILBOX_PER_SENDER from one sender (the keep script refuses past
 * either, and the sender gets the same ERR).  WHEN is the sender's
 * host's time when it was sent ("left at").
 *
 * Three scripts, each atomic:
 *   keep  the bounds checked and RPUSH (answers ok or full);
 *   take  at a log-in: LRANGE (at most MAILBOX_MAX) and DEL in one
 *         step, so of two hosts at once one gets the messages and the
 *         other none; each element is checked (mailbox_values) before
 *         it is shown;
 *   push  messages kept on this host's file while Redis was away,
 *         appended while the list has room; answers how many.
 *
 * While Redis is away a message is kept in this host's file (the
 * fallback, as without -R) and shown at a log-in here; when the link
 * works again (xmail_up, at every UP) the files are pushed (at most
 * XMAIL_PUSH_MAX accounts a time) and emptied of what Redis took, so
 * a log-in on any host then gets them.  At a log-in while the link
 * works, Redis' messages and this host's file (unless a push of it is
 * on its way: the take, after it on the link, brings them) are shown
 * together.  A person gone before the take's answer: its messages are
 * pushed back.  Holes: a take or keep whose answer is lost with the
 * link may have run (the messages taken are then lost; a message kept
 * here as well is shown twice). */
#include "xmail.h"

#include "chat.h"
#include "log.h"
#include "names.h"
#include "mailbox.h"
#include "namecmp.h"
#include "xhost_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define XMAIL_PUSH_MAX 64  /* accounts' files pushed at one UP */

/* KEYS list; ARGV line, most, sender (lower case), most per sender */
static const char keep_script[] =
    "if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then\n"
    "  return 'full'\n"
    "end\n"
    "local n = 0\n"
    "for _, m in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do\n"
    "  local f = string.match(m, '^%d+\\t([^\\t]*)\\t')\n"
    "  if f and string.lower(f) == ARGV[3] then n = n + 1 end\n"
    "end\n"
    "if n >= tonumber(ARGV[4]) then return 'full' end\n"
    "redis.call('RPUSH', KEYS[1], ARGV[1])\n"
    "return 'ok'\n";

/* KEYS list; ARGV most */
static const char take_script[] =
    "local all = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)\n"
    "redis.call('DEL', KEYS[1])\n"
    "return all\n";

/* KEYS list; ARGV most, then the lines */
static const char push_script[] =
    "local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])\n"
    "local n = 0\n"
    "for i = 2, #ARGV do\n"
    "  if n >= room then break end\n"
    "  redis.call('RPUSH', KEYS[1], ARGV[i])\n"
    "  n = n + 1\n"
    "end\n"
    "return n\n";

/* After an XP_MAIL's xpend: the message (its text after this). */
struct kept {
	long long when;
	char from[NAME_LEN_MAX + 1];
};

/* After an XP_PUSH's: what was sent. */
struct pushed {
	int file;   /* from this host's file (else pushed back) */
	size_t n;
};

/* The list's key for name (any case). */
static void list_key(const struct xhost *xh, const char *name, char *key)
{
	xh_name_key(xh, key, "mail:", name);
}

/* A push of name's file is on its way. */
static int pushing(const struct xhost *xh, const char *name)
{
	for (const struct xpend *p = xh->pend; p; p = p->next)
		if (p->what == XP_PUSH && ((const struct pushed *)(p + 1))->file
		    && name_same(p->to, strlen(p->to), name, strlen(name)))
			return 1;
	return 0;
}

static void keep_reply(void *ctx, const struct resp_value *v)
{
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	const struct kept *k = (const struct kept *)(p + 1);
	struct mail m = { k->when, "", (const char *)(k + 1), p->textlen };
	memcpy(m.from, k->from, sizeof m.from);
	int ok = v && v->type == RESP_BULK && v->len == 2 &&
		 memcmp(v->str, "ok", 2) == 0;
	int full = v && v->type == RESP_BULK && v->len == 4 &&
		   memcmp(v->str, "full", 4) == 0;
	if (xh->closing) {
		xh_pend_free(xh, p);
		return;
	}
	if (!v) /* the link is lost: kept here (pushed when it is back) */
		mailbox_keep_local(xh->ch, p->c, &m, p->to);
	else if (ok && p->c)
		mailbox_kept(xh->ch, p->c, p->to, m.text, m.textlen);
	else if (full && p->c)
		mailbox_refuse(xh->ch, p->c, p->to, "their mailbox is full; "
			       "your message was not kept.");
	else if (!ok && !full) {
		xh_bad(xh, "a bad answer to an offline message kept");
		if (p->c)
			mailbox_refuse(xh->ch, p->c, p->to, "your message "
				       "could not be kept.");
	}
	xh_pend_free(xh, p);
}

int xmail_keep(struct chat *ch, struct chatter *c, const struct mail *m,
	       const char *to)
{
	struct redis *l = xh_link(ch);
	struct xhost *xh = ch->xh;
	char key[XHOST_KEY_MAX], line[MAILBOX_LINE_MAX], from[NAME_LEN_MAX + 1];
	char most[24], per[24];
	struct xpend *p = l ? xh_pend_new(xh, c, XP_MAIL, sizeof(struct kept) +
					  m->textlen) : NULL;
	size_t n = p ? mailbox_line(m, line, sizeof line) : 0;
	if (!n) {
		if (p)
			xh_pend_free(xh, p);
		return 0;
	}
	struct kept *k = (struct kept *)(p + 1);
	snprintf(p->to, sizeof p->to, "%s", to);
	p->textlen = m->textlen;
	k->when = m->when;
	memcpy(k->from, m->from, sizeof k->from);
	memcpy(k + 1, m->text, m->textlen);
	list_key(xh, to, key);
	name_lower(from, m->from);
	snprintf(most, sizeof most, "%d", MAILBOX_MAX);
	snprintf(per, sizeof per, "%d", MAILBOX_PER_SENDER);
	const char *argv[] = { "EVAL", keep_script, "1", key, line, most, from,
			       per };
	size_t lens[8];
	for (int i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	lens[4] = n - 1; /* without its LF */
	if (redis_command(l, 8, argv, lens, keep_reply, p) != 0) {
		xh_pend_free(xh, p);
		return 0;
	}
	return 1;
}

static void push_reply(void *ctx, const struct resp_value *v)
{
	static char in[MAILBOX_FILE_MAX];
	struct mail all[MAILBOX_MAX];
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	const struct pushed *w = (const struct pushed *)(p + 1);
	if (xh->closing || !v) { /* lost with the link: pushed at next UP */
		xh_pend_free(xh, p);
		return;
	}
	size_t took = v->type == RESP_INTEGER && v->integer >= 0 &&
		      (unsigned long long)v->integer <= w->n ?
		      (size_t)v->integer : 0;
	if (v->type != RESP_INTEGER)
		xh_bad(xh, "a bad answer to offline messages pushed");
	else if (w->file) {
		/* the file is as sent: while the link works nothing is
		   kept in it, and a log-in leaves it to the take */
		size_t n = mailbox_load(xh->ch, p->to, in, all);
		if (took > n)
			took = n;
		(void)mailbox_save(xh->ch, p->to, all + took, n - took);
		if (took < n)
			log_msg(LOG_NOTICE, "offline messages: %zu for %s stay "
				"on this host (their mailbox in Redis is "
				"full)", n - took, p->to);
	} else if (took < w->n) {
		log_msg(LOG_WARNING, "offline messages: %zu for %s are lost "
			"(their mailbox in Redis filled while they were taken)",
			w->n - took, p->to);
	}
	xh_pend_free(xh, p);
}

/* name's messages v[0..n) appended to its list: 0, or -1. */
static int push_send(struct xhost *xh, const char *name,
		     const struct mail *v, size_t n, int file)
{
	static char lines[MAILBOX_MAX][MAILBOX_LINE_MAX];
	const char *argv[5 + MAILBOX_MAX];
	size_t lens[5 + MAILBOX_MAX];
	char key[XHOST_KEY_MAX], most[24];
	struct redis *l = store_redis_link(xh->st);
	struct xpend *p = l && n ? xh_pend_new(xh, NULL, XP_PUSH,
					       sizeof(struct pushed)) : NULL;
	if (!p)
		return -1;
	if (n > MAILBOX_MAX)
		n = MAILBOX_MAX;
	snprintf(p->to, sizeof p->to, "%s", name);
	*(struct pushed *)(p + 1) = (struct pushed){ file, n };
	list_key(xh, name, key);
	snprintf(most, sizeof most, "%d", MAILBOX_MAX);
	const char *head[] = { "EVAL", push_script, "1", key, most };
	for (int i = 0; i < 5; i++) {
		argv[i] = head[i];
		lens[i] = strlen(head[i]);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = mailbox_line(&v[i], lines[i], MAILBOX_LINE_MAX);
		argv[5 + i] = lines[i];
		lens[5 + i] = len ? len - 1 : 0; /* without its LF */
	}
	if (redis_command(l, 5 + (int)n, argv, lens, push_reply, p) != 0) {
		xh_pend_free(xh, p);
		return -1;
	}
	return 0;
}

static void take_reply(void *ctx, const struct resp_value *v)
{
	static char in[MAILBOX_FILE_MAX];
	static struct mail all[2 * MAILBOX_MAX];
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	size_t n = 0, bad = 0, here = 0;
	if (xh->closing) {
		xh_pend_free(xh, p);
		return;
	}
	if (v)
		n = mailbox_values(v, all, MAILBOX_MAX, &bad);
	if (bad)
		xh_bad(xh, "an offline message in Redis that is not valid");
	if (!p->c) { /* gone meanwhile: Redis keeps them for the next */
		if (n && push_send(xh, p->to, all, n, 0) != 0)
			log_msg(LOG_WARNING, "offline messages: %zu for %s "
				"are lost (they left before they came, and the "
				"link to Redis is full)", n, p->to);
		xh_pend_free(xh, p);
		return;
	}
	if (!pushing(xh, p->to))
		here = mailbox_load(xh->ch, p->to, in, all + n);
	mailbox_show(xh->ch, p->c, all, n + here);
	if (here)
		(void)mailbox_save(xh->ch, p->to, NULL, 0);
	xh_pend_free(xh, p);
}

int xmail_take(struct chat *ch, struct chatter *c)
{
	struct redis *l = xh_link(ch);
	struct xhost *xh = ch->xh;
	char key[XHOST_KEY_MAX], most[24];
	struct xpend *p = l ? xh_pend_new(xh, c, XP_TAKE, 0) : NULL;
	if (!p)
		return 0;
	snprintf(p->to, sizeof p->to, "%s", c->m.name);
	list_key(xh, c->m.name, key);
	snprintf(most, sizeof most, "%d", MAILBOX_MAX);
	const char *argv[] = { "EVAL", take_script, "1", key, most };
	size_t lens[5];
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (redis_command(l, 5, argv, lens, take_reply, p) != 0) {
		xh_pend_free(xh, p);
		return 0;
	}
	return 1;
}

void xmail_up(struct xhost *xh)
{
	static char in[MAILBOX_FILE_MAX];
	struct mail v[MAILBOX_MAX];
	char path[PATH_MAX];
	size_t sent = 0;
	const char *dir = xh->ch->state_dir;
	int n = dir ? snprintf(path, sizeof path, "%s/mail", dir) : -1;
	DIR *d = n > 0 && (size_t)n < sizeof path ? opendir(path) : NULL;
	if (!d) {
		if (n > 0 && errno != ENOENT)
			log_msg(LOG_ERR, "offline messages: cannot read %s: %s",
				path, strerror(errno));
		return;
	}
	struct dirent *e;
	errno = 0;
	while (sent < XMAIL_PUSH_MAX && (e = readdir(d))) {
		const char *name = e->d_name;
		size_t count;
		if (name_valid(name, strlen(name)) && !pushing(xh, name) &&
		    (count = mailbox_load(xh->ch, name, in, v)) &&
		    push_send(xh, name, v, count, 1) == 0)
			sent++; /* not ".", "..", a temporary file */
		errno = 0;
	}
	if (sent < XMAIL_PUSH_MAX && errno)
		log_msg(LOG_ERR, "offline messages: cannot read %s: %s", path,
			strerror(errno));
	if (closedir(d) != 0)
		log_msg(LOG_ERR, "offline messages: cannot close %s: %s", path,
			strerror(errno));
	if (sent)
		log_msg(LOG_INFO, "offline messages: the mailboxes of %zu "
			"accounts kept here pushed to Redis", sent);
}
