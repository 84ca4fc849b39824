/* mailbox.c — private messages kept for accounts (mailbox.h). */
#include "mailbox.h"
#include "ignore.h"
#include "log.h"
#include "namecmp.h"
#include "reply.h"
#include "acctfile.h"
#include "xmail.h"

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
void mailbox_refuse(struct chat *ch, struct chatter *c, const char *to,
		    const char *why)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s is not logged in; %s", to, why);
	reply_only(ch, c, FRAME_ERR, msg);
}

void mailbox_kept(struct chat *ch, struct chatter *c, const char *to,
		  const char *text, size_t len)
{
	char msg[160];
	reply_send(ch, c, FRAME_OK, 0, to, NULL, text, len);
	snprintf(msg, sizeof msg, "%s is not logged in; your message will be "
		 "delivered when they log in.", to);
	reply_only(ch, c, FRAME_INFO, msg);
}

int mailbox_line_parse(const char *s, size_t len, struct mail *m)
{
	return parse_line(s, len, m);
}

size_t mailbox_values(const struct resp_value *v, struct mail *out,
		      size_t max, size_t *bad)
{
	size_t n = 0;
	*bad = 0;
	if (v->type != RESP_ARRAY) {
		*bad = 1;
		return 0;
	}
	for (size_t i = 0; i < v->n && n < max; i++) {
		const struct resp_value *e = &v->elem[i];
		if (e->type == RESP_BULK &&
		    parse_line(e->str, e->len, &out[n]))
			n++;
		else
			++*bad;
	}
	return n;
}

void mailbox_keep_local(struct chat *ch, struct chatter *c,
			const struct mail *m, const char *to)
{
	static char in[MAILBOX_FILE_MAX], out[MAILBOX_FILE_MAX];
	if (!ch->state_dir) {
		if (c)
			mailbox_refuse(ch, c, to, "messages cannot be kept "
				       "for them here.");
		return;
	}
	ssize_t n = acctfile_read(ch->state_dir, MAIL_SUB, to, in, sizeof in);
	struct rewrite w = { out, 0, sizeof out, 0, m->from };
	size_t count = n > 0 ? mailbox_parse(in, (size_t)n, copy_one, &w) : 0;
	if (n < 0 || count >= MAILBOX_MAX ||
	    w.from_sender >= MAILBOX_PER_SENDER) {
		if (n < 0)
			log_msg(LOG_ERR, "cannot read %s's mailbox in %s: %s",
				to, ch->state_dir, strerror(errno));
		if (c)
			mailbox_refuse(ch, c, to, n < 0 ? "your message could "
				       "not be kept." : "their mailbox is "
				       "full; your message was not kept.");
		return;
	}
	w.len += mailbox_line(m, out + w.len, sizeof out - w.len);
	if (acctfile_write(ch->state_dir, MAIL_SUB, to, out, w.len) != 0) {
		log_msg(LOG_ERR, "cannot write %s's mailbox in %s: %s", to,
			ch->state_dir, strerror(errno));
		if (c)
			mailbox_refuse(ch, c, to, "your message could not be "
				       "kept.");
		return;
	}
	if (c)
		mailbox_kept(ch, c, to, m->text, m->textlen);
}

void mailbox_keep(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char to[NAME_LEN_MAX + 1];
	frame_field(to, sizeof to, f->a, f->alen);
	if (!c->account) {
		mailbox_refuse(ch, c, to, "messages cannot be kept for them "
			       "here.");
		return;
	}
	struct mail m = { (long long)time(NULL), "", f->text, f->textlen };
	memcpy(m.from, c->m.name, sizeof m.from);
	if (xmail_keep(ch, c, &m, to))
		return; /* kept in Redis: answered at its reply */
	mailbox_keep_local(ch, c, &m, to);
}

/* Sends one message, or counts it (send 0); an ignored sender's none. */
static int show_one(struct chat *ch, struct chatter *c, const struct mail *m,
		    int send)
{
	char when[40];
	if (ignore_blocks(c, m->from))
		return 0;
	if (!send)
		return 1;
	time_t t = (time_t)m->when;
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof when, "?");
	reply_send(ch, c, FRAME_STORED, 0, m->from, when, m->text,
		   m->textlen);
	return 1;
}

void mailbox_show(struct chat *ch, struct chatter *c, const struct mail *v,
		  size_t n)
{
	char msg[96];
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += (size_t)show_one(ch, c, &v[i], 0);
	if (!shown)
		return;
	snprintf(msg, sizeof msg, "%zu private message%s left for you while "
		 "you were away:", shown, shown == 1 ? " was" : "s were");
	reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, msg, strlen(msg));
	for (size_t i = 0; i < n; i++)
		(void)show_one(ch, c, &v[i], 1);
}

/* Parsing into an array. */
struct load {
	struct mail *out;
	size_t n;
};

static void load_one(const struct mail *m, void *arg)
{
	struct load *l = arg;
	l->out[l->n++] = *m;
}

size_t mailbox_load(struct chat *ch, const char *name, char *buf,
		    struct mail *out)
{
	if (!ch->state_dir)
		return 0;
	ssize_t n = acctfile_read(ch->state_dir, MAIL_SUB, name, buf,
				  MAILBOX_FILE_MAX);
	if (n < 0)
		log_msg(LOG_ERR, "cannot read %s's mailbox in %s: %s", name,
			ch->state_dir, strerror(errno));
	struct load l = { out, 0 };
	if (n > 0)
		(void)mailbox_parse(buf, (size_t)n, load_one, &l);
	return l.n;
}

int mailbox_save(struct chat *ch, const char *name, const struct mail *v,
		 size_t n)
{
	static char out[MAILBOX_FILE_MAX];
	size_t len = 0;
	if (!ch->state_dir)
		return n ? -1 : 0;
	for (size_t i = 0; i < n && i < MAILBOX_MAX; i++)
		len += mailbox_line(&v[i], out + len, sizeof out - len);
	if (acctfile_write(ch->state_dir, MAIL_SUB, name, out, len) == 0)
		return 0;
	log_msg(LOG_ERR, "cannot write %s's mailbox in %s: %s", name,
		ch->state_dir, strerror(errno));
	return -1;
}

void mailbox_deliver(struct chat *ch, struct chatter *c)
{
	static char in[MAILBOX_FILE_MAX];
	struct mail v[MAILBOX_MAX];
	if (!c->account || xmail_take(ch, c))
		return; /* with Redis: at the take's reply (xmail.c) */
	size_t n = mailbox_load(ch, c->m.name, in, v);
	if (!n)
		return;
	mailbox_show(ch, c, v, n);
	(void)mailbox_save(ch, c->m.name, NULL, 0);
}
