/* chat.c — a logged-in person's lines and commands, and what the
 * broker sends them. */
#include "chat.h"
#include "chat_log.h"
#include "io.h"
#include "log.h"
#include "machine.h"
#include "modcmd.h"
#include "sharing.h"
#include "namecmp.h"
#include "people.h"
#include "text.h"
#include "users.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char help_text[] =
	"*** Commands:\r\n"
	"***   /who            who is in your room\r\n"
	"***   /msg NAME text  a private message\r\n"
	"***   /me action      an action: * you action\r\n"
	"***   /join ROOM      move to another room\r\n"
	"***   /rooms          the rooms and how many are in each\r\n"
	"***   /topic          your room's topic\r\n"
	"***   /away [message] say you are away; /back  you are back\r\n"
	"***   /ignore [NAME]  ignore NAME's lines (no NAME: the list)\r\n"
	"***   /unignore NAME  stop ignoring NAME\r\n"
	"***   /bell off|mention|private|all  when the bell rings\r\n"
	"***   /history [N]    the last N lines of your room (20; at most "
	"500)\r\n"
	"***   /help           this list\r\n"
	"***   /exit, /quit    leave the chat\r\n"
	"*** Any other line is said to your room (start it with // to say "
	"a line that begins with /).\r\n";

/* The text of a line, cleaned: never a control character, valid UTF-8.
 * LINE_MAX_BYTES in give at most 3 x LINE_MAX_BYTES out, which fits a
 * frame's text. */
static char *cleaned(const char *p, size_t len, size_t *outlen)
{
	static char buf[TEXT_CLEAN_MAX(LINE_MAX_BYTES)];
	*outlen = text_clean(p, len, buf, sizeof buf);
	return buf;
}

void chat_init(struct chat *c, struct person *p, struct bconn *bc,
	       const char *origin, int history_lines)
{
	c->p = p;
	c->bc = bc;
	c->origin = origin;
	c->history_lines = history_lines;
	snprintf(c->room, sizeof c->room, "%s", DEFAULT_ROOM);
	c->bell = BELL_DEFAULT;
}

void chat_await(struct chat *c, uint8_t type, long long now)
{
	c->awaiting = type;
	c->reply_deadline = now + REPLY_WAIT_MS;
}

void chat_await_none(struct chat *c)
{
	c->awaiting = 0;
}

void chat_login_answer(struct chat *c, const struct frame *f, long long now)
{
	c->marks_last = (f->flags & FRAME_MARKS_LAST) != 0;
	c->awaiting = 0;
	if (f->type == FRAME_OK && c->marks_last && !(f->flags & FRAME_LAST))
		chat_await(c, FRAME_LOGIN, now);
}

/* Sends a request the broker answers (WHO, ROOMS, PRIV, JOIN, HISTORY)
 * and, if this broker marks the ends of replies, waits for its reply. */
void chat_request(struct chat *c, uint8_t type, uint8_t flags,
		  const char *a, const char *b, const char *text,
		  size_t textlen)
{
	if (bconn_send(c->bc, type, flags, a, b, text, textlen) != 0 ||
	    !bconn_connected(c->bc) || !c->marks_last)
		return;
	chat_await(c, type, io_now_ms());
}

/* A query is asked again; a lost JOIN was carried out by the REJOIN
 * (it names the new room), so what is left to show is who is there. */
void chat_reply_lost(struct chat *c)
{
	uint8_t type = c->awaiting;
	c->awaiting = 0;
	if (type == FRAME_WHO || type == FRAME_ROOMS)
		c->resend = type;
	else if (type == FRAME_JOIN)
		c->resend = FRAME_WHO;
	/* a PRIV is in c->sent: sent again after the rejoin */
	c->rejoining = 1;
	c->priv_retry_at = 0;
}

void chat_rejoined(struct chat *c)
{
	if (c->marks_last && c->awaiting)
		return; /* chat_log_live, at the end of the catch-up */
	sharing_rejoined(c);
	chat_log_resend(c);
	uint8_t type = c->resend;
	c->resend = 0;
	if (type)
		chat_request(c, type, 0, NULL, NULL, NULL, 0);
}

static void say_text(struct chat *c, uint8_t type, uint8_t flags,
		     const char *to, const char *p, size_t len)
{
	size_t n;
	char *text = cleaned(p, len, &n);
	if (n == strspn(text, " ")) {
		if (type != FRAME_SAY)
			person_notice(c->p, type == FRAME_ME ?
				       "Usage: /me action" :
				       "Usage: /msg NAME text");
		return; /* nothing but spaces: nothing to say */
	}
	chat_log_send(c, type, flags, to, text, n);
}

/* The first word of p (len bytes) in word, the rest after spaces in
 * *rest; returns the word's length. */
static size_t split(const char *p, size_t len, const char **rest,
		    size_t *restlen)
{
	size_t w = 0, r;
	while (w < len && p[w] != ' ')
		w++;
	for (r = w; r < len && p[r] == ' '; r++)
		;
	*rest = p + r;
	*restlen = len - r;
	return w;
}

static int is_cmd(const char *cmd, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cmd, name, len) == 0;
}

static void cmd_msg(struct chat *c, const char *arg, size_t len)
{
	const char *text;
	size_t tlen, nlen = split(arg, len, &text, &tlen);
	char to[NAME_LEN_MAX + 1];
	if (nlen == 0 || tlen == 0) {
		person_notice(c->p, "Usage: /msg NAME text");
		return;
	}
	if (!name_valid(arg, nlen)) {
		person_notice(c->p, "Names are 1 to 16 letters, digits, _ or -.");
		return;
	}
	snprintf(to, sizeof to, "%.*s", (int)nlen, arg);
	/* An account (the users file has it) may be sent to while it is
	 * not logged in: the broker keeps the message (mailbox.h). */
	char canon[NAME_LEN_MAX + 1], hash[USERS_HASH_MAX];
	uint8_t flags = 0;
	if (c->users_path && users_find(c->users_path, to, canon, hash,
					sizeof hash, NULL) == 1) {
		memcpy(to, canon, sizeof to);
		flags = FRAME_TO_ACCOUNT;
	}
	say_text(c, FRAME_PRIV, flags, to, text, tlen);
}

static void cmd_join(struct chat *c, const char *arg, size_t len)
{
	char msg[96];
	while (len && arg[len - 1] == ' ')
		len--;
	if (!room_valid(arg, len)) {
		person_notice(c->p, len ? "Rooms are 1 to 32 letters, digits, "
			       "_ or -." : "Usage: /join ROOM");
		return;
	}
	if (name_same(c->room, strlen(c->room), arg, len)) {
		snprintf(msg, sizeof msg, "You are already in %s.", c->room);
		person_notice(c->p, msg);
		return;
	}
	snprintf(c->room, sizeof c->room, "%.*s", (int)len, arg);
	snprintf(msg, sizeof msg, "%d", chat_replay_lines(c));
	chat_request(c, FRAME_JOIN, 0, NULL, c->room, msg, strlen(msg));
}

static void unknown(struct chat *c, const char *cmd, size_t len)
{
	char msg[192];
	size_t n;
	/* Quote at most 32 bytes of it, cleaned, so the notice stays short. */
	char *q = cleaned(cmd, len > 32 ? 32 : len, &n);
	snprintf(msg, sizeof msg, "Unknown command: %.*s (try /help)", (int)n, q);
	person_notice(c->p, msg);
}

/* /away, /ignore and the rest (people.h), else an unknown command. */
static void people(struct chat *c, const char *cmd, size_t clen,
		   const char *arg, size_t alen)
{
	static struct people_req req;
	switch (people_command(c->p, &c->bell, cmd, clen, arg, alen, &req)) {
	case PEOPLE_NOT_MINE: unknown(c, cmd, clen); break;
	case PEOPLE_DONE: break;
	case PEOPLE_SEND:
		chat_request(c, req.type, 0, req.a[0] ? req.a : NULL, NULL,
			     req.text, req.textlen);
		break;
	}
}

static enum chat_result command(struct chat *c, const char *line,
				size_t len)
{
	const char *arg;
	size_t alen, clen = split(line, len, &arg, &alen);
	if (is_cmd(line, clen, "/exit") || is_cmd(line, clen, "/quit")) {
		person_notice(c->p, "Goodbye.");
		return CHAT_EXIT;
	} else if (is_cmd(line, clen, "/who")) {
		chat_request(c, FRAME_WHO, 0, NULL, NULL, NULL, 0);
	} else if (is_cmd(line, clen, "/rooms")) {
		chat_request(c, FRAME_ROOMS, 0, NULL, NULL, NULL, 0);
	} else if (is_cmd(line, clen, "/msg")) {
		cmd_msg(c, arg, alen);
	} else if (is_cmd(line, clen, "/me")) {
		say_text(c, FRAME_ME, 0, NULL, arg, alen);
	} else if (is_cmd(line, clen, "/join")) {
		cmd_join(c, arg, alen);
	} else if (is_cmd(line, clen, "/history")) {
		chat_log_history(c, arg, alen);
	} else if (is_cmd(line, clen, "/help")) {
		person_sayz(c->p, help_text);
		if (c->op)
			person_sayz(c->p, modcmd_help);
		if (c->files)
			person_sayz(c->p, sharing_help);
	} else if (sharing_command(c, line, clen, arg, alen)) {
		/* file sharing: sent, or refused in one line */
	} else if (modcmd_line(c, line, clen, arg, alen)) {
		/* an operator's command: sent, or refused in one line */
	} else {
		people(c, line, clen, arg, alen);
	}
	return CHAT_GO_ON;
}

enum chat_result chat_line(struct chat *c, const char *line, size_t len)
{
	if (len == 0)
		return CHAT_GO_ON;
	if (line[0] == '/' && !(len > 1 && line[1] == '/'))
		return command(c, line, len);
	if (line[0] == '/')
		say_text(c, FRAME_SAY, 0, NULL, line + 1, len - 1);
	else
		say_text(c, FRAME_SAY, 0, NULL, line, len);
	return CHAT_GO_ON;
}

int chat_replay_lines(const struct chat *c)
{
	return c->p->machine ? 0 : c->history_lines;
}

void chat_show(struct chat *c, const struct frame *f, const char *self)
{
	static char out[MACHINE_LINE_MAX];
	struct frame msg;
	const struct frame *plain = text_line_as_msg(f, &msg) ? &msg : f;
	size_t n;
	if (c->p->machine) {
		n = machine_frame(&c->p->mach, plain, self, out, sizeof out);
	} else {
		/* a live LINE shows as the MSG or ACTION it carries (parsed
		 * once); a replayed one needs its time, from the LINE */
		n = text_display(f->flags & FRAME_REPLAY ? f : plain, self,
				 out, sizeof out);
		if (n && mention_bell(c->bell, plain, self))
			person_say(c->p, "\a", 1); /* the line rings */
	}
	if (n)
		person_say(c->p, out, n);
}

enum chat_result chat_frame(struct chat *c, const struct frame *f,
			    const char *self)
{
	uint8_t was = c->awaiting;
	if (f->flags & FRAME_LAST)
		c->awaiting = 0; /* the next line may go */
	if (chat_log_frame(c, f, self, was) || sharing_frame(c, f, was))
		return CHAT_GO_ON;
	chat_show(c, f, self);
	return f->type == FRAME_KICK ? CHAT_KICKED : CHAT_GO_ON;
}
