/* chat.c — a logged-in person's lines and commands, and what the
 * broker sends them. */
#include "session.h"
#include "io.h"
#include "log.h"
#include "namecmp.h"
#include "text.h"

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

void chat_request(struct session *s, uint8_t type, const char *a,
		  const char *b, const char *text, size_t textlen)
{
	if (bconn_send(s, type, 0, a, b, text, textlen) != 0 || s->bfd < 0 ||
	    !s->marks_last)
		return;
	s->awaiting = type;
	s->reply_deadline = io_now_ms() + REPLY_WAIT_MS;
}

/* A query is asked again; a lost JOIN was carried out by the REJOIN
 * (it names the new room), so what is left to show is who is there. */
void chat_reply_lost(struct session *s)
{
	uint8_t type = s->awaiting;
	s->awaiting = 0;
	if (type == FRAME_WHO || type == FRAME_ROOMS)
		s->resend = type;
	else if (type == FRAME_JOIN)
		s->resend = FRAME_WHO;
	else if (type == FRAME_PRIV)
		session_notice(s, "Your last private message may not have "
			       "been delivered.");
}

void chat_rejoined(struct session *s)
{
	uint8_t type = s->resend;
	s->resend = 0;
	if (type)
		chat_request(s, type, NULL, NULL, NULL, 0);
}

static void say_text(struct session *s, uint8_t type, const char *to,
		     const char *p, size_t len)
{
	size_t n;
	char *text = cleaned(p, len, &n);
	if (n == strspn(text, " ")) {
		if (type != FRAME_SAY)
			session_notice(s, type == FRAME_ME ?
				       "Usage: /me action" :
				       "Usage: /msg NAME text");
		return; /* nothing but spaces: nothing to say */
	}
	if (type == FRAME_PRIV)
		chat_request(s, type, to, NULL, text, n);
	else
		bconn_send(s, type, 0, to, NULL, text, n);
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

static void cmd_msg(struct session *s, const char *arg, size_t len)
{
	const char *text;
	size_t tlen, nlen = split(arg, len, &text, &tlen);
	char to[NAME_LEN_MAX + 1];
	if (nlen == 0 || tlen == 0) {
		session_notice(s, "Usage: /msg NAME text");
		return;
	}
	if (!name_valid(arg, nlen)) {
		session_notice(s, "Names are 1 to 16 letters, digits, _ or -.");
		return;
	}
	snprintf(to, sizeof to, "%.*s", (int)nlen, arg);
	say_text(s, FRAME_PRIV, to, text, tlen);
}

static void cmd_join(struct session *s, const char *arg, size_t len)
{
	char msg[96];
	while (len && arg[len - 1] == ' ')
		len--;
	if (!room_valid(arg, len)) {
		session_notice(s, len ? "Rooms are 1 to 32 letters, digits, "
			       "_ or -." : "Usage: /join ROOM");
		return;
	}
	if (name_same(s->room, strlen(s->room), arg, len)) {
		snprintf(msg, sizeof msg, "You are already in %s.", s->room);
		session_notice(s, msg);
		return;
	}
	snprintf(s->room, sizeof s->room, "%.*s", (int)len, arg);
	chat_request(s, FRAME_JOIN, NULL, s->room, NULL, 0);
}

static void unknown(struct session *s, const char *cmd, size_t len)
{
	char msg[192];
	size_t n;
	/* Quote at most 32 bytes of it, cleaned, so the notice stays short. */
	char *c = cleaned(cmd, len > 32 ? 32 : len, &n);
	snprintf(msg, sizeof msg, "Unknown command: %.*s (try /help)", (int)n, c);
	session_notice(s, msg);
}

static void command(struct session *s, const char *line, size_t len)
{
	const char *arg;
	size_t alen, clen = split(line, len, &arg, &alen);
	if (is_cmd(line, clen, "/exit") || is_cmd(line, clen, "/quit")) {
		session_notice(s, "Goodbye.");
		session_end(s, EXIT_OK, "logged out");
	} else if (is_cmd(line, clen, "/who")) {
		chat_request(s, FRAME_WHO, NULL, NULL, NULL, 0);
	} else if (is_cmd(line, clen, "/rooms")) {
		chat_request(s, FRAME_ROOMS, NULL, NULL, NULL, 0);
	} else if (is_cmd(line, clen, "/msg")) {
		cmd_msg(s, arg, alen);
	} else if (is_cmd(line, clen, "/me")) {
		say_text(s, FRAME_ME, NULL, arg, alen);
	} else if (is_cmd(line, clen, "/join")) {
		cmd_join(s, arg, alen);
	} else if (is_cmd(line, clen, "/help")) {
		session_sayz(s, help_text);
	} else {
		unknown(s, line, clen);
	}
}

void chat_line(struct session *s, const char *line, size_t len)
{
	if (len == 0)
		return;
	if (line[0] == '/' && !(len > 1 && line[1] == '/'))
		command(s, line, len);
	else if (line[0] == '/')
		say_text(s, FRAME_SAY, NULL, line + 1, len - 1);
	else
		say_text(s, FRAME_SAY, NULL, line, len);
}

void chat_frame(struct session *s, const struct frame *f)
{
	static char out[TEXT_LINE_MAX];
	size_t n = text_display(f, s->name, out, sizeof out);
	if (n)
		session_say(s, out, n);
	if (f->flags & FRAME_LAST)
		s->awaiting = 0; /* the next line may go */
	if (f->type == FRAME_KICK) {
		s->kicked = 1;
		session_end(s, EXIT_OK, "kicked by the broker");
	}
}
