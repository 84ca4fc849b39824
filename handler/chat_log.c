/* chat_log.c — lines numbered, acknowledged, sent again; LINE frames
 * shown once (chat_log.h). */
#include "chat_log.h"
#include "io.h"
#include "text.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t number(const char *s, size_t len)
{
	uint64_t v = 0;
	if (len == 0 || len >= LINE_NO_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

void chat_login_text(const struct chat *c, const char *peer, char *out,
		     size_t size)
{
	/* the peer is "ip port", "ip" or "local": always two words */
	snprintf(out, size, "%s%s %s %" PRIu64 " %d", peer,
		 strchr(peer, ' ') ? "" : " ?", c->origin, c->room_seq,
		 chat_replay_lines(c));
}

int chat_blocked(const struct chat *c)
{
	return resend_full(&c->sent);
}

static void send_one(struct chat *c, const struct sent *s)
{
	char no[LINE_NO_MAX + 1];
	snprintf(no, sizeof no, "%" PRIu64, s->no);
	if (s->type == FRAME_PRIV)
		chat_request(c, FRAME_PRIV, s->flags, s->to, no, s->text,
			     s->len);
	else
		bconn_send(c->bc, s->type, 0, no, NULL, s->text, s->len);
}

void chat_log_send(struct chat *c, uint8_t type, uint8_t flags,
		   const char *to, const char *text, size_t len)
{
	uint64_t no = resend_add(&c->sent, type, flags, to, text, len);
	if (no == 0) { /* out of memory: sent all the same, unnumbered */
		struct sent s = { .no = 0, .type = type, .flags = flags,
				  .len = len,
				  .text = (char *)(uintptr_t)text };
		snprintf(s.to, sizeof s.to, "%s", to ? to : "");
		send_one(c, &s);
		return;
	}
	send_one(c, resend_at(&c->sent, c->sent.n - 1));
}

void chat_log_resend(struct chat *c)
{
	for (size_t i = 0; i < c->sent.n; i++) {
		const struct sent *s = resend_at(&c->sent, i);
		if (s)
			send_one(c, s);
	}
}

void chat_log_history(struct chat *c, const char *arg, size_t len)
{
	char n[16];
	while (len && arg[len - 1] == ' ')
		len--;
	uint64_t v = len ? number(arg, len) : HISTORY_DEFAULT;
	if (v == 0 || v > HISTORY_MAX) {
		snprintf(n, sizeof n, "%d", HISTORY_MAX);
		person_notice(c->p, len && v == 0 ? "Usage: /history [N]" :
			      "/history shows at most " "500 lines.");
		return;
	}
	c->replayed = 0;
	snprintf(n, sizeof n, "%" PRIu64, v);
	chat_request(c, FRAME_HISTORY, 0, NULL, NULL, n, strlen(n));
}

/* 1 when a private line from this origin and number was shown already
 * (sent again after a broker restart); else notes it, 0. */
static int priv_seen(struct chat *c, const struct frame *f)
{
	const char *sp = memchr(f->b, ' ', f->blen);
	if (!sp || (size_t)(sp - f->b) > ORIGIN_MAX)
		return 0;
	size_t ol = (size_t)(sp - f->b);
	uint64_t no = number(sp + 1, f->blen - ol - 1);
	for (size_t i = 0; i < PRIV_SEEN_MAX; i++) {
		if (strlen(c->privs[i].origin) != ol ||
		    memcmp(c->privs[i].origin, f->b, ol) != 0)
			continue;
		if (no && no <= c->privs[i].no)
			return 1;
		c->privs[i].no = no;
		return 0;
	}
	size_t k = c->privs_next++ % PRIV_SEEN_MAX;
	memcpy(c->privs[k].origin, f->b, ol);
	c->privs[k].origin[ol] = '\0';
	c->privs[k].no = no;
	return 0;
}


/* LINE: live ones only past the last shown; a rejoin's catch-up
 * without the person's own lines (they saw them as they typed). */
static void line(struct chat *c, const struct frame *f, const char *self,
		 uint8_t was)
{
	uint64_t seq = text_line_seq(f);
	int replay = (f->flags & FRAME_REPLAY) != 0;
	int history = was == FRAME_HISTORY;
	if (!replay && seq && seq <= c->room_seq)
		return; /* shown in the catch-up already */
	if (!history && seq > c->room_seq)
		c->room_seq = seq;
	if (replay && c->rejoining && self && f->alen == strlen(self) &&
	    memcmp(f->a, self, f->alen) == 0)
		return;
	if (replay)
		c->replayed++;
	chat_show(c, f, self);
}

/* The end of a replay: the room's sequence number so far (a new room's
 * on login and join), the live marker after lines, and after a rejoin
 * what the broker lost is sent again. */
static void live(struct chat *c, const struct frame *f, uint8_t was)
{
	uint64_t seq = number(f->text, f->textlen);
	if (was == FRAME_LOGIN && c->rejoining) {
		if (seq > c->room_seq)
			c->room_seq = seq;
	} else if (was != FRAME_HISTORY) {
		c->room_seq = seq;
	}
	if (c->replayed)
		person_notice(c->p, LIVE_TEXT);
	c->replayed = 0;
	if (was == FRAME_LOGIN && c->rejoining) {
		c->rejoining = 0;
		c->rejoined_at = io_now_ms();
		chat_rejoined(c);
	}
}

/* The PRIV kept, if any. */
static const struct sent *priv_kept(const struct chat *c)
{
	for (size_t i = 0; i < c->sent.n; i++) {
		const struct sent *s = resend_at(&c->sent, i);
		if (s && s->type == FRAME_PRIV)
			return s;
	}
	return NULL;
}

void chat_log_retry(struct chat *c)
{
	const struct sent *s = priv_kept(c);
	c->priv_retry_at = 0;
	chat_await_none(c);
	if (s)
		send_one(c, s);
}

/* The answer to a PRIV: it is acknowledged, unless it says the
 * recipient is not there just after a rejoin (theirs may be under way):
 * then it is tried again a little later, the lines held meanwhile. */
static int priv_answer(struct chat *c, const struct frame *f)
{
	const struct sent *s = priv_kept(c);
	long long now = io_now_ms();
	if (!s)
		return 0;
	if (f->type == FRAME_ERR && c->rejoined_at &&
	    now < c->rejoined_at + PRIV_REJOIN_GRACE_MS &&
	    f->textlen >= 13 && memcmp(f->text, "No such user:", 13) == 0) {
		chat_await(c, FRAME_PRIV, now);
		c->priv_retry_at = now + PRIV_RETRY_MS;
		return 1;
	}
	resend_ack(&c->sent, s->no);
	return 0;
}

int chat_log_frame(struct chat *c, const struct frame *f, const char *self,
		   uint8_t was)
{
	switch (f->type) {
	case FRAME_LINE:
		line(c, f, self, was);
		return 1;
	case FRAME_ACK: {
		uint64_t seq = number(f->text, f->textlen);
		resend_ack(&c->sent, number(f->a, f->alen));
		if (seq > c->room_seq)
			c->room_seq = seq;
		return 1;
	}
	case FRAME_LIVE:
		live(c, f, was);
		return 1;
	case FRAME_PRIVATE:
		return priv_seen(c, f);
	case FRAME_OK:
	case FRAME_ERR:
		return was == FRAME_PRIV && priv_answer(c, f);
	default:
		return 0;
	}
}
