/* login.c — the dialogue before chatting: banner, ID, PW, LOGIN. */
#include "cli.h"
#include "session.h"
#include "banner.h"
#include "io.h"
#include "log.h"
#include "term.h"
#include "text.h"
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void prompt_id(struct session *s)
{
	s->st = ST_ID;
	session_sayz(s, "ID: ");
}

void login_start(struct session *s)
{
	unsigned char neg[TELNET_START_LEN];
	if (s->in_sock) /* a socket may be telnet: 8-bit clean both ways */
		session_say(s, neg, telnet_start(&s->tn, neg));
	banner_send(s);
	prompt_id(s);
}

/* Echo off for the password: telnet on a socket, termios on a terminal,
 * nothing on a pipe. */
static void echo_off(struct session *s)
{
	unsigned char cmd[3];
	if (s->in_sock) {
		session_say(s, cmd, telnet_will_echo(&s->tn, cmd));
		s->echo_off = 1;
	} else if (s->in_tty && term_echo_off(0) == 0) {
		s->echo_off = 1;
	}
}

static void echo_on(struct session *s)
{
	unsigned char cmd[3];
	if (!s->echo_off)
		return;
	if (s->in_sock) {
		size_t n = telnet_wont_echo(&s->tn, cmd); /* 0: already off */
		if (n)
			session_say(s, cmd, n);
	} else
		term_echo_restore();
	/* The person's Enter was not echoed either. */
	session_sayz(s, "\r\n");
	s->echo_off = 0;
}

/* Removes spaces around a name typed at the prompt. */
static char *trim(char *line, size_t *len)
{
	while (*len && (line[*len - 1] == ' ' || line[*len - 1] == '\t'))
		line[--*len] = '\0';
	while (*len && (*line == ' ' || *line == '\t')) {
		line++;
		--*len;
	}
	return line;
}

static void got_name(struct session *s, char *line, size_t len)
{
	line = trim(line, &len);
	if (len == 0) {
		prompt_id(s);
		return;
	}
	s->name_ok = name_valid(line, len);
	snprintf(s->name, sizeof s->name, "%.*s", s->name_ok ? (int)len : 0,
		 line);
	if (s->cfg->users_path) {
		/* Ask for the password whatever the name: nothing tells a
		 * wrong name from a wrong password. */
		echo_off(s);
		s->st = ST_PW;
		session_sayz(s, "PW: ");
		return;
	}
	if (!s->name_ok) {
		session_notice(s, "Names are 1 to 16 letters, digits, _ or -.");
		prompt_id(s);
		return;
	}
	bconn_login(s);
}


static void got_password(struct session *s, char *line, size_t len)
{
	char canon[NAME_LEN_MAX + 1];
	echo_on(s);
	int ok = users_check(s->cfg->users_path, s->name_ok ? s->name : "",
			     line, canon);
	int err = errno;
	cli_wipe(line, len);
	if (ok < 0) {
		log_msg(LOG_ERR, "users file %s unreadable: %s",
			s->cfg->users_path, strerror(err));
		session_notice(s, "Log-in is unavailable; try again later.");
		session_end(s, EXIT_TEMP, "users file unreadable");
		return;
	}
	if (ok) {
		/* "ANN" logs in as the file's "ann": one spelling per person. */
		memcpy(s->name, canon, sizeof s->name);
		bconn_login(s);
		return;
	}
	s->failures++;
	log_msg(LOG_NOTICE, "failed log-in for \"%s\" from %s",
		s->name_ok ? s->name : "(invalid name)", s->cfg->peer);
	s->st = ST_DELAY;
	s->delay_until = io_now_ms() + LOGIN_FAIL_DELAY_MS;
}

void login_line(struct session *s, char *line, size_t len)
{
	if (s->st == ST_ID)
		got_name(s, line, len);
	else if (s->st == ST_PW)
		got_password(s, line, len);
}

void login_delay_over(struct session *s)
{
	session_sayz(s, "Login incorrect.\r\n");
	if (s->failures >= LOGIN_TRIES) {
		session_notice(s, "Too many failures; goodbye.");
		session_end(s, EXIT_OK, "too many log-in failures");
		return;
	}
	prompt_id(s);
}

static void refused(struct session *s, const struct frame *f)
{
	static char why[TEXT_CLEAN_MAX(FRAME_TEXT_MAX)];
	char msg[128];
	text_clean(f->text, f->textlen, why, sizeof why);
	log_msg(LOG_INFO, "broker refused %s: %s", s->name, why);
	if (f->flags & FRAME_FATAL) { /* our protocol version, say */
		session_notice(s, why);
		session_end(s, EXIT_TEMP, "refused by the broker");
		return;
	}
	if (s->joined) {
		/* Someone took the name while the broker was away. */
		snprintf(msg, sizeof msg, "Could not rejoin as %s; goodbye.",
			 s->name);
		session_notice(s, msg);
		session_end(s, EXIT_TEMP, "rejoin refused");
		return;
	}
	if (s->cfg->users_path)
		snprintf(msg, sizeof msg, "%s is already logged in elsewhere; "
			 "log out there first.", s->name);
	else
		snprintf(msg, sizeof msg, "The name %s is already in use; "
			 "choose another.", s->name);
	session_notice(s, msg);
	prompt_id(s);
}

/* OK or ERR to our LOGIN.  A broker that marks the ends of replies
 * follows a first OK with the greeting: the person's lines wait for it,
 * so it shows before any answer to them. */
void login_reply(struct session *s, const struct frame *f)
{
	s->marks_last = (f->flags & FRAME_MARKS_LAST) != 0;
	s->awaiting = 0;
	/* The broker answered: a reconnect episode, if any, is over, even
	 * when the answer is a refusal, so a later loss gets its own -R. */
	s->rc_give_up = 0;
	if (f->type == FRAME_ERR) {
		refused(s, f);
		return;
	}
	if (f->type != FRAME_OK)
		return;
	if (NATTER_PROTOCOL_OF(f->flags) < NATTER_PROTOCOL_BROKER_MIN) {
		session_notice(s, "The chat service is older than this "
			       "session; try again later.");
		session_end(s, EXIT_TEMP, "the broker's protocol is too old");
		return;
	}
	s->st = ST_CHAT;
	s->last_line_ms = io_now_ms();
	if (s->marks_last && !(f->flags & FRAME_LAST)) {
		s->awaiting = FRAME_LOGIN;
		s->reply_deadline = s->last_line_ms + REPLY_WAIT_MS;
	}
	if (s->joined) {
		session_notice(s, "Reconnected.");
		chat_rejoined(s);
		return;
	}
	s->joined = 1;
	log_msg(LOG_INFO, "%s logged in from %s", s->name, s->cfg->peer);
	char msg[64];
	snprintf(msg, sizeof msg, "Log-in success!! [%s]\r\n", s->name);
	session_sayz(s, msg);
	session_sayz(s, "-----Chatting Room-----\r\n");
	session_notice(s, "Type /help for the commands.");
}
