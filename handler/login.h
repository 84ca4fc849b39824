/* login.h — the dialogue before chatting: banner, ID, PW, and what the
 * broker says to LOGIN.
 *
 * Below the session, beside chat: it talks to the person (person.h) and
 * returns the step the dialogue reached; the session keeps the state,
 * sends LOGIN and ends the session. */
#ifndef NATTER_LOGIN_H
#define NATTER_LOGIN_H

#include <stddef.h>

#include "frame.h"
#include "names.h"
#include "options.h"
#include "person.h"

#define LOGIN_TRIES 3
#define LOGIN_FAIL_DELAY_MS 1000
/* Typed at "ID: ", it turns machine mode on (machine.h). */
#define MODE_MACHINE "/mode machine"
#define MODE_MACHINE_LEN 13

enum login_step {
	LOGIN_ASK_ID,    /* "ID: " shown: a name is typed next */
	LOGIN_ASK_PW,    /* "PW: " shown, echo off: a password next */
	LOGIN_SEND,      /* the name is settled: send LOGIN */
	LOGIN_DELAY,     /* a failed log-in: call login_delay_over at
			    delay_until */
	LOGIN_UNAVAILABLE, /* the users file is unreadable: end (111) */
	LOGIN_GIVE_UP,   /* too many failures: end */
	LOGIN_JOINED,    /* the broker took a first LOGIN: chatting */
	LOGIN_REJOINED,  /* it took the person back after a loss */
	LOGIN_REJOIN_REFUSED, /* the name was taken meanwhile: end (111) */
	LOGIN_REFUSED_FATAL, /* the broker will not serve this session
				(our protocol version, said): end (111) */
	LOGIN_BROKER_TOO_OLD, /* its protocol is older than ours can use
				 (said): end (111) */
	LOGIN_NAME_TAKEN, /* -n's name is in use (said): end */
};

struct login {
	struct person *p;
	const struct session_config *cfg;
	char name[NAME_LEN_MAX + 1];
	int name_ok;  /* users mode: the name typed was a valid one */
	int joined;   /* logged in at least once: LOGIN now re-announces */
	int op;       /* the users file marks this person an operator */
	int failures;
	long long delay_until;
};

void login_init(struct login *l, struct person *p,
		const struct session_config *cfg);
/* Shows the banner and asks for the name: LOGIN_ASK_ID; with -n
 * (cfg->fixed_name) the name is settled: LOGIN_SEND. */
enum login_step login_start(struct login *l);
/* A line typed at "ID: ": LOGIN_ASK_ID, LOGIN_ASK_PW or LOGIN_SEND. */
enum login_step login_name(struct login *l, char *line, size_t len);
/* A line typed at "PW: " (wiped after use): LOGIN_SEND, LOGIN_DELAY or
 * LOGIN_UNAVAILABLE. */
enum login_step login_password(struct login *l, char *line, size_t len);
/* The delay after a failure is over: LOGIN_ASK_ID or LOGIN_GIVE_UP. */
enum login_step login_delay_over(struct login *l);
/* OK or ERR to our LOGIN: LOGIN_JOINED, LOGIN_REJOINED, LOGIN_ASK_ID
 * (the name is in use: choose another), LOGIN_REJOIN_REFUSED,
 * LOGIN_REFUSED_FATAL or LOGIN_BROKER_TOO_OLD. */
enum login_step login_reply(struct login *l, const struct frame *f);

#endif
