/* xignore.c — ignore lists across hosts (xignore.h).
 *
 * Key (PREFIX as xhost.c's):
 *   PREFIXignore:NAME  a string, NAME an account's name in lower case:
 *                      its list as in the state directory's file
 *                      (ignore.h), one name and a LF each, at most
 *                      IGNORE_MAX; "" for a list emptied (no key: the
 *                      account has no shared list yet)
 * Read with GET, checked name by name (ignore_strict: a value that is
 * not such a list is skipped and logged, and the host's file used);
 * written whole with SET at every /ignore and /unignore.
 *
 * At a log-in (an account, while the link works) the host's file is
 * read first (so the list is in force at once) and GET sent; the
 * answer replaces it, and the file, when it comes.  It is sent before
 * the person enters the room (whose replay, on the same link, comes
 * after it), so lines are seen with the shared list.  No key: the
 * file's list becomes the shared one (a host's lists from before -R
 * follow their people).  A change made before the answer comes wins
 * (its SET went after the GET): the answer is dropped.
 *
 * While Redis is away the file is the list (as without -R); a change
 * then is kept in the file and its account remembered (at most
 * XIGNORE_DIRTY_MAX; past that the change stays on this host only
 * until the account's next log-in here with the link up, when the
 * shared list replaces it), and when the link works again (UP) those
 * lists are pushed whole: the last change, on whichever host, wins. */
#include "xignore.h"

#include "acctfile.h"
#include "chat.h"
#include "ignore.h"
#include "log.h"
#include "namecmp.h"
#include "xhost_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The list's key for name (any case). */
static void list_key(const struct xhost *xh, const char *name, char *key)
{
	xh_name_key(xh, key, "ignore:", name);
}

/* name's list to be pushed at the next UP. */
static void dirty(struct xhost *xh, const char *name)
{
	for (size_t i = 0; i < xh->ign_ndirty; i++)
		if (name_same(xh->ign_dirty[i], strlen(xh->ign_dirty[i]),
			      name, strlen(name)))
			return;
	if (xh->ign_ndirty == XIGNORE_DIRTY_MAX) {
		log_msg(LOG_WARNING, "ignore lists: more than %d changed "
			"while Redis is away; %s's stays on this host",
			XIGNORE_DIRTY_MAX, name);
		return;
	}
	snprintf(xh->ign_dirty[xh->ign_ndirty++], NAME_LEN_MAX + 1, "%s",
		 name);
}

static void set_reply(void *ctx, const struct resp_value *v)
{
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	if (!xh->closing && !v)
		dirty(xh, p->to); /* lost with the link: again at UP */
	else if (!xh->closing && v->type != RESP_STRING)
		xh_bad(xh, "a bad answer to an ignore list written");
	xh_pend_free(xh, p);
}

/* SET name's list (ig NULL: empty): 0, or -1 (not sent). */
static int set_send(struct xhost *xh, const char *name,
		    const struct ignores *ig)
{
	char key[XHOST_KEY_MAX], buf[IGNORE_FILE_MAX];
	struct redis *l = store_redis_link(xh->st);
	struct xpend *p = l ? xh_pend_new(xh, NULL, XP_ISET, 0) : NULL;
	if (!p)
		return -1;
	snprintf(p->to, sizeof p->to, "%s", name);
	list_key(xh, name, key);
	const char *argv[] = { "SET", key, buf };
	size_t lens[] = { 3, strlen(key),
			  ig ? ignore_format(ig, buf, sizeof buf) : 0 };
	if (redis_command(l, 3, argv, lens, set_reply, p) != 0) {
		xh_pend_free(xh, p);
		return -1;
	}
	return 0;
}

static void get_reply(void *ctx, const struct resp_value *v)
{
	struct xpend *p = ctx;
	struct xhost *xh = p->xh;
	struct chatter *c = p->c;
	struct ignores ig;
	if (xh->closing || !v || !c || p->stale) {
		xh_pend_free(xh, p); /* the file's list stays */
		return;
	}
	if (v->type == RESP_NIL) { /* none shared yet: this host's is */
		if (c->ign && c->ign->n && set_send(xh, c->m.name, c->ign))
			dirty(xh, c->m.name);
	} else if (v->type != RESP_BULK ||
		   ignore_strict(&ig, v->str, v->len) != 0) {
		xh_bad(xh, "an ignore list in Redis that is not valid");
	} else {
		(void)ignore_replace(xh->ch, c, &ig);
	}
	xh_pend_free(xh, p);
}

void xignore_login(struct chat *ch, struct chatter *c)
{
	struct redis *l = xh_link(ch);
	struct xhost *xh = ch->xh;
	char key[XHOST_KEY_MAX];
	struct xpend *p = l ? xh_pend_new(xh, c, XP_IGET, 0) : NULL;
	if (!p)
		return; /* Redis away: the file's list */
	snprintf(p->to, sizeof p->to, "%s", c->m.name);
	list_key(xh, c->m.name, key);
	const char *argv[] = { "GET", key };
	size_t lens[] = { 3, strlen(key) };
	if (redis_command(l, 2, argv, lens, get_reply, p) != 0)
		xh_pend_free(xh, p);
}

void xignore_changed(struct chat *ch, struct chatter *c)
{
	struct xhost *xh = ch->xh;
	if (!xh || xh->closing)
		return;
	for (struct xpend *p = xh->pend; p; p = p->next)
		if (p->what == XP_IGET && p->c == c)
			p->stale = 1; /* this change wins over its answer */
	if (!xh_link(ch) || set_send(xh, c->m.name, c->ign) != 0)
		dirty(xh, c->m.name);
}

/* name's list as this host has it: its person's here, else its file;
 * 0, or -1 (none to push). */
static int local_list(struct xhost *xh, const char *name,
		      struct ignores *ig)
{
	static char buf[IGNORE_FILE_MAX];
	struct chat *ch = xh->ch;
	struct member *m = presence_find(&ch->pres, name, strlen(name));
	const struct chatter *c = m ? chatter_of(m) : NULL;
	ig->n = 0;
	if (c && c->logged_in && c->account) {
		if (c->ign)
			memcpy(ig, c->ign, sizeof *ig);
		return 0;
	}
	if (!ch->state_dir)
		return -1;
	ssize_t n = acctfile_read(ch->state_dir, "ignore", name, buf,
				  sizeof buf);
	if (n < 0) {
		log_msg(LOG_ERR, "cannot read %s's ignore list in %s: %s",
			name, ch->state_dir, strerror(errno));
		return -1;
	}
	ignore_parse(ig, buf, (size_t)n);
	return 0;
}

void xignore_up(struct xhost *xh)
{
	static struct ignores ig;
	size_t kept = 0;
	for (size_t i = 0; i < xh->ign_ndirty; i++) {
		const char *name = xh->ign_dirty[i];
		if (local_list(xh, name, &ig) == 0 &&
		    set_send(xh, name, &ig) != 0)
			memmove(xh->ign_dirty[kept++], name, NAME_LEN_MAX + 1);
	}
	if (xh->ign_ndirty > kept)
		log_msg(LOG_INFO, "ignore lists: %zu changed while Redis was "
			"away pushed to it", xh->ign_ndirty - kept);
	xh->ign_ndirty = kept;
}
