/* session.h — one person's session: the state shared by the event loop
 * (session.c), the log-in dialogue (login.c), the chat (chat.c) and the
 * broker connection (bconn.c). */
#ifndef NATTER_SESSION_H
#define NATTER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "bucket.h"
#include "frame.h"
#include "line.h"
#include "names.h"
#include "outq.h"
#include "peer.h"
#include "telnet.h"

#define SESSION_OUTQ_MAX (256 * 1024) /* to the person; past it: cut off */
#define BROKER_OUTQ_MAX (256 * 1024)  /* to the broker */
#define BROKER_BACKLOG (64 * 1024)    /* stop taking lines past this */
#define BROKER_READ (64 * 1024)       /* read the broker in chunks this big */
#define BIN_KEEP (16 * 1024)          /* bin bytes kept resident when idle */
#define BIN_TRIM_AFTER_MS 1000        /* after a burst, give bin back */
#define LOGIN_TRIES 3
#define LOGIN_FAIL_DELAY_MS 1000
#define RECONNECT_FIRST_MS 100
#define RECONNECT_MAX_MS 2000
#define REPLY_WAIT_MS 15000           /* a broker reply later than this:
					 a bug; log it, take lines again */

/* Exit statuses (ucspi style: 100 permanent, 111 temporary). */
#define EXIT_OK 0
#define EXIT_USAGE 100
#define EXIT_TEMP 111

struct session_config {
	char broker_path[256];
	const char *users_path; /* NULL: open mode */
	const char *motd_path;  /* NULL: the default banner */
	int login_timeout_s;
	int idle_timeout_s;     /* 0: off */
	int reconnect_limit_s;  /* give up on a lost broker after this */
	int rate, burst;        /* lines per second (0: off), burst */
	char peer[PEER_MAX];
};

enum session_state {
	ST_ID,         /* "ID: " shown, waiting for a name */
	ST_PW,         /* "PW: " shown, waiting for a password */
	ST_DELAY,      /* a failed log-in: waiting before saying so */
	ST_WAIT_LOGIN, /* LOGIN sent, waiting for OK or ERR */
	ST_CHAT,
	ST_RECONNECT,  /* the broker is gone: trying again with backoff */
};

struct session {
	const struct session_config *cfg;
	enum session_state st;
	int in_sock, in_tty, out_sock;

	struct outq out; /* to the person */
	struct telnet tn;
	struct line ln;
	int line_pending; /* ln holds a line not yet handled */
	unsigned char in[4096];
	size_t inpos, inlen;
	int in_eof;

	int bfd; /* the broker, -1 when not connected */
	struct outq bout;
	char bin[BROKER_READ + FRAME_MAX];
	size_t binlen;
	size_t bin_high;       /* the most of bin touched since the last trim */
	long long bin_trim_at; /* when to give its pages back (0: no need) */
	int kicked;
	int bout_broken;	/* a write to the broker failed: read to its end */
	/* Lines are handled strictly in order: after a request that the
	 * broker answers (lib/frame.h, "Replies"), no line is taken until
	 * the reply's FRAME_LAST has come, so answers show in the order
	 * asked and nothing typed later goes to a broker that may die
	 * before answering. */
	int marks_last;         /* this broker ends its replies (FRAME_LAST) */
	uint8_t awaiting;       /* the request whose reply is due, or 0 */
	uint8_t resend;         /* a query lost with the broker: ask again */
	long long reply_deadline;

	char name[NAME_LEN_MAX + 1];
	char room[ROOM_LEN_MAX + 1];
	int name_ok;   /* users mode: the name typed was a valid one */
	int joined;    /* logged in at least once: LOGIN now re-announces */
	int failures;
	int echo_off;  /* we turned the person's echo off for PW */

	long long login_deadline, last_line_ms, delay_until, token_wait_until;
	struct bucket bucket;
	int throttled; /* the flood notice was given in this episode */
	long long rc_next, rc_backoff, rc_give_up;

	int done, exit_code, skip_person_flush;
};

/* session.c */
int session_run(const struct session_config *cfg);
void session_end(struct session *s, int code, const char *why);
/* Queues bytes for the person; ends the session when past the bound. */
void session_say(struct session *s, const void *data, size_t len);
void session_sayz(struct session *s, const char *str);
/* "*** " + msg + CR LF. */
void session_notice(struct session *s, const char *msg);

/* bconn.c */
int bconn_connect(const char *path);
/* Queues a frame for the broker; 0, or -1 (logged; the session ends). */
int bconn_send(struct session *s, uint8_t type, uint8_t flags, const char *a,
	       const char *b, const char *text, size_t textlen);
/* Sends LOGIN for s->name and s->room (re-announcing once joined) and
 * waits for the answer; starts reconnecting if there is no broker. */
void bconn_login(struct session *s);
/* The broker connection closed or failed. */
void bconn_lost(struct session *s);
/* Time to try connecting again (ST_RECONNECT). */
void bconn_retry(struct session *s, long long now);
/* Notes how much of the read buffer a read touched; a burst that went
 * past BIN_KEEP schedules bconn_trim. */
void bconn_touched(struct session *s);
/* Gives the read buffer's pages past BIN_KEEP back to the system, so a
 * session that once took a burst stays small while it idles. */
void bconn_trim(struct session *s);

/* login.c */
void login_start(struct session *s);
void login_line(struct session *s, char *line, size_t len);
void login_delay_over(struct session *s);
void login_reply(struct session *s, const struct frame *f);

/* chat.c */
void chat_line(struct session *s, const char *line, size_t len);
void chat_frame(struct session *s, const struct frame *f);
/* Sends a request the broker answers (WHO, ROOMS, PRIV, JOIN) and, if
 * this broker marks the ends of replies, waits for its reply. */
void chat_request(struct session *s, uint8_t type, const char *a,
		  const char *b, const char *text, size_t textlen);
/* The broker is lost: what to do about a reply it still owed. */
void chat_reply_lost(struct session *s);
/* The broker took the person back: asks again what it lost. */
void chat_rejoined(struct session *s);

#endif
