/* mailbox.c — private messages kept for accounts (mailbox.h). */
#include "mailbox.h"
#include "ignore.h"
#include "log.h"
#include "namecmp.h"
#include "reply.h"
#include "acctfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define MAIL_SUB "mail"

static int text_ok(const char *s, size_t len)
{
	if (len == 0 || len > FRAME_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* One line (without its LF) into m: 1 when it is a good message. */
static int parse_line(const char *s, size_t len, struct mail *m)
{
	const char *t1 = memchr(s, '\t', len);
	if (!t1 || t1 == s || t1 - s > 19)
		return 0;
	long long when = 0;
	for (const char *p = s; p < t1; p++) {
		if (*p < '0' || *p > '9' || when > (LLONG_MAX - 9) / 10)
			return 0;
		when = when * 10 + (*p - '0');
	}
	const char *from = t1 + 1;
	size_t rest = len - (size_t)(from - s);
	const char *t2 = memchr(from, '\t', rest);
	if (!t2 || !name_valid(from, (size_t)(t2 - from)))
		return 0;
	const char *text = t2 + 1;
	size_t textlen = len - (size_t)(text - s);
	if (!text_ok(text, textlen))
		return 0;
	m->when = when;
	frame_field(m->from, sizeof m->from, from, (size_t)(t2 - from));
	m->text = text;
	m->textlen = textlen;
	return 1;
}

size_t mailbox_parse(const char *buf, size_t len,
		     void (*fn)(const struct mail *, void *), void *arg)
{
	size_t start = 0, found = 0;
	struct mail m;
	while (start < len && found < MAILBOX_MAX) {
		const char *nl = memchr(buf + start, '\n', len - start);
		if (!nl)
			break; /* a cut last line */
		size_t n = (size_t)(nl - (buf + start));
		if (parse_line(buf + start, n, &m)) {
			found++;
			if (fn)
				fn(&m, arg);
		}
		start += n + 1;
	}
	return found;
}

size_t mailbox_line(const struct mail *m, char *out, size_t size)
{
	int n = snprintf(out, size, "%lld\t%s\t%.*s\n", m->when, m->from,
			 (int)m->textlen, m->text);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* Rewriting a mailbox: the good messages again, counted. */
struct rewrite {
	char *out;
	size_t len, size, from_sender;
	const char *sender;
};

static void copy_one(const struct mail *m, void *arg)
{
	struct rewrite *w = arg;
	w->len += mailbox_line(m, w->out + w->len, w->size - w->len);
	if (name_same(m->from, strlen(m->from), w->sender, strlen(w->sender)))
		w->from_sender++;
}

/* The reply when nothing is kept. */
static void not_kept(struct chat *ch, struct chatter *c, const char *to,
		     const char *why)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s is not logged in; %s", to, why);
	reply_only(ch, c, FRAME_ERR, msg);
}

void mailbox_keep(struct chat *ch, struct chatter *c, const struct frame *f)
{
	static char in[MAILBOX_FILE_MAX], out[MAILBOX_FILE_MAX];
	char to[NAME_LEN_MAX + 1], msg[160];
	frame_field(to, sizeof to, f->a, f->alen);
	if (!ch->state_dir || !c->account) {
		not_kept(ch, c, to, "messages cannot be kept for them here.");
		return;
	}
	ssize_t n = acctfile_read(ch->state_dir, MAIL_SUB, to, in, sizeof in);
	struct rewrite w = { out, 0, sizeof out, 0, c->m.name };
	size_t count = n > 0 ? mailbox_parse(in, (size_t)n, copy_one, &w) : 0;
	if (n < 0 || count >= MAILBOX_MAX ||
	    w.from_sender >= MAILBOX_PER_SENDER) {
		if (n < 0)
			log_msg(LOG_ERR, "cannot read %s's mailbox in %s: %s",
				to, ch->state_dir, strerror(errno));
		not_kept(ch, c, to, n < 0 ? "your message could not be kept." :
			 "their mailbox is full; your message was not kept.");
		return;
	}
	struct mail m = { (long long)time(NULL), "", f->text, f->textlen };
	memcpy(m.from, c->m.name, sizeof m.from);
	w.len += mailbox_line(&m, out + w.len, sizeof out - w.len);
	if (acctfile_write(ch->state_dir, MAIL_SUB, to, out, w.len) != 0) {
		log_msg(LOG_ERR, "cannot write %s's mailbox in %s: %s", to,
			ch->state_dir, strerror(errno));
		not_kept(ch, c, to, "your message could not be kept.");
		return;
	}
	reply_send(ch, c, FRAME_OK, 0, to, NULL, f->text, f->textlen);
	snprintf(msg, sizeof msg, "%s is not logged in; your message will be "
		 "delivered when they log in.", to);
	reply_only(ch, c, FRAME_INFO, msg);
}

struct delivery {
	struct chat *ch;
	struct chatter *c;
	size_t shown;
	int send;
};

/* Counts (send 0), then sends (send 1) the messages not ignored. */
static void deliver_one(const struct mail *m, void *arg)
{
	struct delivery *d = arg;
	char when[40];
	if (ignore_blocks(d->c, m->from))
		return;
	d->shown++;
	if (!d->send)
		return;
	time_t t = (time_t)m->when;
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof when, "?");
	reply_send(d->ch, d->c, FRAME_STORED, 0, m->from, when, m->text,
		   m->textlen);
}

void mailbox_deliver(struct chat *ch, struct chatter *c)
{
	static char in[MAILBOX_FILE_MAX];
	char msg[96];
	if (!ch->state_dir || !c->account)
		return;
	ssize_t n = acctfile_read(ch->state_dir, MAIL_SUB, c->m.name, in,
				   sizeof in);
	if (n < 0)
		log_msg(LOG_ERR, "cannot read %s's mailbox in %s: %s",
			c->m.name, ch->state_dir, strerror(errno));
	if (n <= 0)
		return;
	struct delivery d = { ch, c, 0, 0 };
	mailbox_parse(in, (size_t)n, deliver_one, &d);
	if (d.shown) {
		snprintf(msg, sizeof msg, "%zu private message%s left for you "
			 "while you were away:", d.shown, d.shown == 1 ?
			 " was" : "s were");
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, msg, strlen(msg));
		d.send = 1;
		d.shown = 0;
		mailbox_parse(in, (size_t)n, deliver_one, &d);
	}
	if (acctfile_write(ch->state_dir, MAIL_SUB, c->m.name, NULL, 0) != 0)
		log_msg(LOG_ERR, "cannot empty %s's mailbox in %s: %s",
			c->m.name, ch->state_dir, strerror(errno));
}
