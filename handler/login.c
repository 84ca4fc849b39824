/* login.c — the dialogue before chatting: banner, ID, PW, LOGIN's
 * answer. */
#include "login.h"
#include "banner.h"
#include "cli.h"
#include "io.h"
#include "log.h"
#include "loginstrings.h"
#include "text.h"
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void login_init(struct login *l, struct person *p,
		const struct session_config *cfg)
{
	l->p = p;
	l->cfg = cfg;
}

static enum login_step prompt_id(struct login *l)
{
	person_sayz(l->p, LOGIN_ID_PROMPT);
	return LOGIN_ASK_ID;
}

enum login_step login_start(struct login *l)
{
	if (l->p->machine) /* machine mode: no banner, no prompts */
		return LOGIN_ASK_ID;
	person_telnet_start(l->p); /* a socket may be telnet: 8-bit clean */
	banner_send(l->p, l->cfg->motd_path);
	if (l->cfg->fixed_name) { /* -n: whoever ran us knows who this is */
		snprintf(l->name, sizeof l->name, "%s", l->cfg->fixed_name);
		l->name_ok = 1; /* main.c checked it */
		return LOGIN_SEND;
	}
	return prompt_id(l);
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

enum login_step login_name(struct login *l, char *line, size_t len)
{
	line = trim(line, &len);
	if (len == 0)
		return prompt_id(l);
	if (len == MODE_MACHINE_LEN && strncasecmp(line, MODE_MACHINE,
						   len) == 0) {
		/* A program on TCP asks for machine mode (machine.h). */
		l->p->machine = 1;
		person_event(l->p, "mode", NULL, NULL, "machine");
		return LOGIN_ASK_ID;
	}
	l->name_ok = name_valid(line, len);
	snprintf(l->name, sizeof l->name, "%.*s", l->name_ok ? (int)len : 0,
		 line);
	if (l->cfg->users_path) {
		/* Ask for the password whatever the name: nothing tells a
		 * wrong name from a wrong password. */
		person_echo_off(l->p);
		person_sayz(l->p, LOGIN_PW_PROMPT);
		return LOGIN_ASK_PW;
	}
	if (!l->name_ok) {
		person_notice(l->p, "Names are 1 to 16 letters, digits, _ or -.");
		return prompt_id(l);
	}
	return LOGIN_SEND;
}

enum login_step login_password(struct login *l, char *line, size_t len)
{
	char canon[NAME_LEN_MAX + 1];
	person_echo_on(l->p);
	int ok = users_check_op(l->cfg->users_path, l->name_ok ? l->name : "",
				line, canon, &l->op);
	int err = errno;
	cli_wipe(line, len);
	if (ok < 0) {
		log_msg(LOG_ERR, "users file %s unreadable: %s",
			l->cfg->users_path, strerror(err));
		person_notice(l->p, "Log-in is unavailable; try again later.");
		return LOGIN_UNAVAILABLE;
	}
	if (ok) {
		/* "ANN" logs in as the file's "ann": one spelling per person. */
		memcpy(l->name, canon, sizeof l->name);
		return LOGIN_SEND;
	}
	l->failures++;
	log_msg(LOG_NOTICE, "failed log-in for \"%s\" from %s",
		l->name_ok ? l->name : "(invalid name)", l->cfg->peer);
	l->delay_until = io_now_ms() + LOGIN_FAIL_DELAY_MS;
	return LOGIN_DELAY;
}

enum login_step login_delay_over(struct login *l)
{
	if (l->p->machine)
		person_event(l->p, "error", NULL, NULL, LOGIN_BAD_TEXT);
	else
		person_sayz(l->p, LOGIN_BAD_TEXT "\r\n");
	if (l->failures >= LOGIN_TRIES) {
		person_notice(l->p, LOGIN_TOO_MANY_TEXT);
		return LOGIN_GIVE_UP;
	}
	return prompt_id(l);
}

static enum login_step refused(struct login *l, const struct frame *f)
{
	static char why[TEXT_CLEAN_MAX(FRAME_TEXT_MAX)];
	char msg[128];
	text_clean(f->text, f->textlen, why, sizeof why);
	log_msg(LOG_INFO, "broker refused %s: %s", l->name, why);
	if (f->flags & FRAME_FATAL) { /* our protocol version, say */
		person_notice(l->p, why);
		return LOGIN_REFUSED_FATAL;
	}
	if (l->joined) {
		/* Someone took the name while the broker was away. */
		snprintf(msg, sizeof msg, "Could not rejoin as %s; goodbye.",
			 l->name);
		person_notice(l->p, msg);
		return LOGIN_REJOIN_REFUSED;
	}
	if (l->cfg->users_path || l->cfg->fixed_name)
		snprintf(msg, sizeof msg, "%s is already logged in elsewhere; "
			 "log out there first.", l->name);
	else
		snprintf(msg, sizeof msg, "The name %s is already in use; "
			 "choose another.", l->name);
	person_notice(l->p, msg);
	/* -n's person cannot choose another name */
	return l->cfg->fixed_name ? LOGIN_NAME_TAKEN : prompt_id(l);
}

enum login_step login_reply(struct login *l, const struct frame *f)
{
	if (f->type != FRAME_OK)
		return refused(l, f);
	if (NATTER_PROTOCOL_OF(f->flags) < NATTER_PROTOCOL_BROKER_MIN) {
		person_notice(l->p, "The chat service is older than this "
			      "session; try again later.");
		return LOGIN_BROKER_TOO_OLD;
	}
	if (l->joined) {
		person_notice(l->p, "Reconnected.");
		return LOGIN_REJOINED;
	}
	l->joined = 1;
	log_msg(LOG_INFO, "%s logged in from %s", l->name, l->cfg->peer);
	if (l->p->machine) {
		char room[FRAME_FIELD_MAX + 1];
		frame_field(room, sizeof room, f->b, f->blen);
		person_event(l->p, "login", room, l->name, NULL);
		return LOGIN_JOINED;
	}
	char msg[64];
	snprintf(msg, sizeof msg, LOGIN_OK_TEXT " [%s]\r\n", l->name);
	person_sayz(l->p, msg);
	person_sayz(l->p, LOGIN_ROOM_BANNER "\r\n");
	person_notice(l->p, "Type /help for the commands.");
	return LOGIN_JOINED;
}
