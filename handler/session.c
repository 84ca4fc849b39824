/* session.c — the top of the handler: the session's state, the event
 * loop (poll on the person's fds 0 and 1, the broker and the
 * self-pipe) and its timers, from a monotonic clock as poll timeouts,
 * so an idle session costs no CPU.  It asks the modules below (login,
 * chat, person, bconn) and acts on what they return. */
#include "session.h"
#include "bconn.h"
#include "bucket.h"
#include "chat.h"
#include "chat_log.h"
#include "exitcode.h"
#include "io.h"
#include "log.h"
#include "login.h"
#include "loginstrings.h"
#include "paths.h"
#include "person.h"
#include "../supervisor/proctitle.h"
#include "selfpipe.h"
#include "term.h"
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FINAL_FLUSH_MS 2000 /* at the end, to the person */
#define BROKER_FLUSH_MS 1000 /* at the end, to the broker */

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
	enum session_state st; /* set by enter() alone */
	struct person person;
	struct bconn bc;
	struct login login;
	struct chat chat;
	long long login_deadline, last_line_ms, token_wait_until;
	struct bucket bucket;
	int throttled; /* the flood notice was given in this episode */
	long long acks_until; /* the person left: their lines' acks are
				 waited for until then (0: not yet) */
	char origin[ORIGIN_MAX + 1]; /* this session's id (origin_make) */
	int done, exit_code;
};

static const int signals[] = { SIGTERM, SIGINT, SIGHUP, 0 };

/* A person who hangs up just after a line: the session waits this long
 * for the broker to acknowledge (log) it, so a broker restart at that
 * moment does not lose it (the session reconnects and sends it again
 * meanwhile). */
#define SESSION_ACK_WAIT_MS 2000

static void enter(struct session *s, enum session_state st)
{
	s->st = st;
}

static void end_as(struct session *s, int code, const char *why)
{
	if (s->done)
		return;
	s->done = 1;
	s->exit_code = code;
	log_msg(code == EXIT_OK ? LOG_INFO : LOG_WARNING,
		"session of %s from %s ended: %s",
		s->login.joined ? s->login.name : "(not logged in)",
		s->cfg->peer, why);
}

/* Whether the session is over: ended, or a queue passed its bound (the
 * person stopped reading, the broker fell too far behind). */
static int over(struct session *s)
{
	if (s->person.overflow && !s->done) {
		person_last_word(&s->person, "You are too far behind; "
				 "disconnected.");
		end_as(s, EXIT_OK, "too far behind (the person stopped "
		       "reading)");
	}
	if (s->bc.full)
		end_as(s, EXIT_TEMP, "broker too far behind");
	return s->done;
}

/* Ends the session for why, unless it is over already: a queue that
 * passed its bound while the last step ran is the first reason. */
static void session_end(struct session *s, int code, const char *why)
{
	if (!over(s))
		end_as(s, code, why);
}

static void broker_unavailable(struct session *s)
{
	/* The path goes to the log, never to the person. */
	log_msg(LOG_ERR, "no broker at %s: %s", s->cfg->broker_path,
		strerror(errno));
	person_notice(&s->person, "The chat service is unavailable; try "
		      "again later.");
	session_end(s, EXIT_TEMP, "broker unavailable");
}

/* A socket that refuses (ECONNREFUSED: its broker died and natterd is
 * starting the next, as when a burst of connections meets a broker
 * restart; EAGAIN: its backlog is full), or none beside the lock file
 * a broker leaves (natterd removed the dead one's socket; the next has
 * not linked its own yet) is a broker on its way: the person gets the
 * prompt, and the LOGIN, when due, reconnects with backoff as after a
 * loss (-R bounds the wait).  No socket and no lock file is no broker,
 * and is said at once. */
static int broker_on_its_way(const struct session *s)
{
	int err = errno;
	char lock[PATH_MAX];
	int n = snprintf(lock, sizeof lock, "%s" BROKER_LOCK_SUFFIX,
			 s->cfg->broker_path);
	int coming = err == ECONNREFUSED || err == EAGAIN ||
		     (err == ENOENT && n > 0 && (size_t)n < sizeof lock &&
		      access(lock, F_OK) == 0);
	if (coming)
		log_msg(LOG_NOTICE, "broker at %s not taking connections "
			"yet (%s); the log-in will wait for it",
			s->cfg->broker_path, strerror(err));
	errno = err; /* for broker_unavailable's line */
	return coming;
}

/* Sends LOGIN for the name and room (re-announcing once joined) and
 * waits for the answer; starts reconnecting if there is no broker. */
static void send_login(struct session *s)
{
	long long now = io_now_ms();
	if (!bconn_connected(&s->bc)) {
		bconn_backoff(&s->bc, now);
		enter(s, ST_RECONNECT);
		return;
	}
	char text[2 * FRAME_FIELD_MAX];
	chat_login_text(&s->chat, s->cfg->peer, text, sizeof text);
	s->chat.op = s->login.op;
	if (bconn_login(&s->bc, s->login.name, s->chat.room,
			(s->login.joined ? FRAME_REJOIN : 0) |
			(s->cfg->users_path ? FRAME_ACCOUNT : 0) |
			(s->login.op ? FRAME_OPERATOR : 0), text) != 0)
		return;
	enter(s, ST_WAIT_LOGIN);
	chat_await(&s->chat, FRAME_LOGIN, now);
}

/* What ps shows once the person is in: "natter-session: ann from
 * 192.0.2.7", in the room argv[0] had (the program's path: 40 bytes
 * installed under /usr/local), so a long address may be cut.  The
 * environment is left alone: /proc/PID/environ stays true. */
static void session_title(const struct session *s)
{
	char title[NAME_LEN_MAX + 128];
	size_t iplen = strcspn(s->cfg->peer, " ");
	snprintf(title, sizeof title, "natter-session: %s from %.*s",
		 s->login.name, (int)iplen, s->cfg->peer);
	proctitle_set(title, "natter-session");
}

/* Acts on a step of the log-in dialogue. */
static void login_step(struct session *s, enum login_step step)
{
	switch (step) {
	case LOGIN_ASK_ID: enter(s, ST_ID); break;
	case LOGIN_ASK_PW: enter(s, ST_PW); break;
	case LOGIN_DELAY: enter(s, ST_DELAY); break;
	case LOGIN_SEND: send_login(s); break;
	case LOGIN_UNAVAILABLE:
		session_end(s, EXIT_TEMP, "users file unreadable");
		break;
	case LOGIN_GIVE_UP:
		session_end(s, EXIT_OK, "too many log-in failures");
		break;
	case LOGIN_JOINED:
	case LOGIN_REJOINED:
		session_title(s);
		enter(s, ST_CHAT);
		s->last_line_ms = io_now_ms();
		if (step == LOGIN_REJOINED)
			chat_rejoined(&s->chat);
		break;
	case LOGIN_REJOIN_REFUSED:
		session_end(s, EXIT_TEMP, "rejoin refused");
		break;
	case LOGIN_REFUSED_FATAL:
		session_end(s, EXIT_TEMP, "refused by the broker");
		break;
	case LOGIN_BROKER_TOO_OLD:
		session_end(s, EXIT_TEMP, "the broker's protocol is too old");
		break;
	case LOGIN_NAME_TAKEN:
		session_end(s, EXIT_OK, "the name is in use");
		break;
	}
}

static void chat_result(struct session *s, enum chat_result r)
{
	if (r == CHAT_EXIT)
		session_end(s, EXIT_OK, "logged out");
	else if (r == CHAT_KICKED)
		session_end(s, EXIT_OK, "kicked by the broker");
}

/* The broker connection closed or failed (bconn closed it). */
static void broker_lost(struct session *s)
{
	if (s->st == ST_ID || s->st == ST_PW || s->st == ST_DELAY)
		return; /* reconnected when the LOGIN is due */
	if (s->bc.rc_give_up == 0) {
		log_msg(LOG_WARNING, "lost the broker; reconnecting");
		if (s->login.joined)
			person_notice(&s->person, "Lost contact with the chat "
				      "service; reconnecting.");
	}
	chat_reply_lost(&s->chat);
	bconn_backoff(&s->bc, io_now_ms());
	enter(s, ST_RECONNECT);
}

/* Whether the pending line may be handled now; sets the flood wait. */
static int line_allowed(struct session *s, long long now)
{
	if (s->st == ST_ID || s->st == ST_PW)
		return 1;
	if (s->st != ST_CHAT || s->chat.awaiting ||
	    bconn_pending(&s->bc) > BCONN_BACKLOG || chat_blocked(&s->chat))
		return 0;
	if (s->person.ln.len == 0)
		return 1; /* empty lines cost nothing */
	if (bucket_full(&s->bucket, now))
		s->throttled = 0; /* the person slowed down: a new episode */
	long long wait = bucket_take(&s->bucket, now);
	if (wait == 0)
		return 1;
	s->token_wait_until = now + wait;
	if (!s->throttled) {
		s->throttled = 1;
		person_notice(&s->person, "You are sending too fast; your "
			      "lines are being delayed.");
	}
	return 0;
}

static void handle_line(struct session *s, long long now)
{
	size_t len;
	char *line = person_line(&s->person, &len);
	person_line_done(&s->person);
	if (s->st == ST_CHAT) {
		s->last_line_ms = now;
		chat_result(s, chat_line(&s->chat, line, len));
	} else if (s->st == ST_ID && xfer_is_request(line, len)) {
		/* A data connection of file sharing: never a login. */
		(void)person_drain(&s->person, FINAL_FLUSH_MS);
		bconn_close(&s->bc);
		exit(transfer_run(s->cfg->broker_path, s->cfg->peer, line,
				  len));
	} else if (s->st == ST_ID) {
		login_step(s, login_name(&s->login, line, len));
	} else if (s->st == ST_PW) {
		login_step(s, login_password(&s->login, line, len));
	}
}

static void too_long(struct session *s)
{
	person_notice(&s->person, "Line too long (over 1024 bytes); not sent.");
	if (s->st == ST_ID)
		person_sayz(&s->person, LOGIN_ID_PROMPT);
	else if (s->st == ST_PW)
		person_sayz(&s->person, LOGIN_PW_PROMPT);
}

/* ^C (telnet's IP): before log-in it ends the session; once logged in
 * the question is asked (person_feed) and a yes ends it. */
static void interrupted(struct session *s, enum person_event e)
{
	if (e == PERSON_INTERRUPT && s->login.joined)
		return;
	person_notice(&s->person, e == PERSON_LEAVE ? "Goodbye." :
		      "Interrupted. Goodbye.");
	session_end(s, EXIT_OK, "interrupted");
}

/* Takes the person's lines while the state and the flood limit allow. */
static void input_process(struct session *s, long long now)
{
	while (!over(s)) {
		enum person_event e = person_feed(&s->person);
		if (e == PERSON_IDLE)
			return;
		if (e == PERSON_TOO_LONG) {
			too_long(s);
			continue;
		}
		if (e == PERSON_INTERRUPT || e == PERSON_LEAVE) {
			interrupted(s, e);
			continue;
		}
		if (!line_allowed(s, now))
			return;
		handle_line(s, now);
	}
}

/* A frame from the broker: the answer to LOGIN, or for the chat. */
static void broker_frame(struct session *s, const struct frame *f)
{
	if (s->st == ST_WAIT_LOGIN && (f->type == FRAME_OK ||
				       f->type == FRAME_ERR)) {
		/* The broker answered: a reconnect episode, if any, is
		 * over, even when the answer is a refusal, so a later
		 * loss gets its own -R. */
		bconn_answered(&s->bc);
		chat_login_answer(&s->chat, f, io_now_ms());
		login_step(s, login_reply(&s->login, f));
	} else {
		chat_result(s, chat_frame(&s->chat, f, s->login.name));
	}
}

/* Reads a big chunk from the broker and handles every whole frame in
 * it. */
static void read_broker(struct session *s)
{
	enum bconn_event e = bconn_read(&s->bc);
	struct frame f;
	while (e == BCONN_NONE && !over(s)) {
		e = bconn_next(&s->bc, &f);
		if (e == BCONN_FRAME) {
			broker_frame(s, &f);
			e = BCONN_NONE;
		} else if (e == BCONN_NONE) {
			break;
		}
	}
	if (e == BCONN_LOST)
		broker_lost(s);
}

/* SIGTERM is the server stopping (natterd, inetd, systemd).  SIGINT is
 * the person's own ^C when they are at a terminal; otherwise it is an
 * operator's ^C reaching the server's whole process group. */
static void on_signals(struct session *s)
{
	unsigned sigs = selfpipe_drain();
	if (sigs & (1u << SIGHUP)) {
		log_reopen();
		log_msg(LOG_INFO, "SIGHUP: log reopened");
	}
	if ((sigs & (1u << SIGINT)) && s->person.in_tty) {
		person_notice(&s->person, "Interrupted. Goodbye.");
		session_end(s, EXIT_OK, "interrupted");
	} else if (sigs & ((1u << SIGTERM) | (1u << SIGINT))) {
		person_notice(&s->person, "The server is shutting down. "
			      "Goodbye.");
		session_end(s, EXIT_OK, "shut down");
	}
}

/* A reply later than REPLY_WAIT_MS.  A broker that never answers a
 * LOGIN (stopped, wedged) is treated as lost: backoff and -R's limit
 * then apply, where waiting would take no line, not even /exit.  Any
 * other late reply is logged as a bug and the lines go on; the person,
 * whose lines were held all that time, is told why nothing came. */
static void reply_overdue(struct session *s)
{
	if (s->st == ST_WAIT_LOGIN) {
		log_msg(LOG_ERR, "no answer from the broker to LOGIN in %d ms",
			REPLY_WAIT_MS);
		chat_await_none(&s->chat);
		bconn_close(&s->bc);
		broker_lost(s);
		return;
	}
	log_msg(LOG_ERR, "no reply from the broker to request type %u in "
		"%d ms; taking lines again", s->chat.awaiting, REPLY_WAIT_MS);
	chat_await_none(&s->chat);
	person_notice(&s->person, "No answer from the chat service in time; "
		      "going on without it.");
}

/* Time to try the broker again (ST_RECONNECT). */
static void retry(struct session *s, long long now)
{
	enum bconn_event e = bconn_retry(&s->bc, now);
	if (e == BCONN_CONNECTED)
		send_login(s);
	else if (e == BCONN_GAVE_UP)
		broker_unavailable(s);
}

static void timers(struct session *s, long long now)
{
	const struct session_config *cfg = s->cfg;
	if (!s->login.joined && now >= s->login_deadline) {
		if (s->st == ST_ID || s->st == ST_PW)
			person_sayz(&s->person, "\r\n"); /* after the prompt */
		person_notice(&s->person, "Login timed out.");
		session_end(s, EXIT_OK, "log-in timed out");
	} else if (s->st == ST_CHAT && cfg->idle_timeout_s > 0 &&
		   now >= s->last_line_ms + cfg->idle_timeout_s * 1000LL) {
		person_notice(&s->person, "Idle for too long; goodbye.");
		session_end(s, EXIT_OK, "idle for too long");
	} else if (s->st == ST_DELAY && now >= s->login.delay_until) {
		login_step(s, login_delay_over(&s->login));
	} else if (s->st == ST_RECONNECT && now >= bconn_retry_at(&s->bc)) {
		retry(s, now);
	}
	if (bconn_trim_at(&s->bc) && now >= bconn_trim_at(&s->bc))
		bconn_trim(&s->bc);
	if (s->chat.priv_retry_at && now >= s->chat.priv_retry_at)
		chat_log_retry(&s->chat);
	else if (s->chat.awaiting && now >= s->chat.reply_deadline)
		reply_overdue(s);
}

static void earliest(long long *t, long long when)
{
	if (*t < 0 || when < *t)
		*t = when;
}

/* Milliseconds until the next timer, -1 for none. */
static int poll_timeout(const struct session *s, long long now)
{
	long long t = -1;
	if (!s->login.joined)
		earliest(&t, s->login_deadline);
	if (s->st == ST_CHAT && s->cfg->idle_timeout_s > 0)
		earliest(&t, s->last_line_ms + s->cfg->idle_timeout_s * 1000LL);
	if (s->st == ST_DELAY)
		earliest(&t, s->login.delay_until);
	if (s->st == ST_RECONNECT)
		earliest(&t, bconn_retry_at(&s->bc));
	if (bconn_trim_at(&s->bc))
		earliest(&t, bconn_trim_at(&s->bc));
	if (s->chat.awaiting)
		earliest(&t, s->chat.reply_deadline);
	if (s->chat.priv_retry_at)
		earliest(&t, s->chat.priv_retry_at);
	if (s->acks_until)
		earliest(&t, s->acks_until);
	if (s->person.line_pending && s->st == ST_CHAT && !s->chat.awaiting &&
	    bconn_pending(&s->bc) <= BCONN_BACKLOG && !chat_blocked(&s->chat))
		earliest(&t, s->token_wait_until);
	if (t < 0)
		return -1;
	t -= now;
	return t < 0 ? 0 : t > 60000 ? 60000 : (int)t;
}

/* The person is gone and everything they sent is handled and
 * answered (a half-closed connection still reads the answers): also
 * the "Login incorrect." due after the failure delay, a /who or
 * /rooms to be asked again once a lost broker is back, and their
 * lines acknowledged (for at most SESSION_ACK_WAIT_MS). */
static int input_over(struct session *s, long long now)
{
	if (!person_input_over(&s->person) || s->st == ST_WAIT_LOGIN ||
	    s->st == ST_DELAY || s->chat.awaiting || s->chat.resend)
		return 0;
	if (!s->login.joined || s->chat.sent.n == 0)
		return 1;
	if (s->acks_until == 0)
		s->acks_until = now + SESSION_ACK_WAIT_MS;
	return now >= s->acks_until;
}

static void poll_once(struct session *s, int sigfd, long long now)
{
	struct pollfd p[4];
	int want_in = person_wants_input(&s->person);
	p[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = want_in ? 0 : -1, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = outq_pending(&s->person.out) ? 1 : -1,
				.events = POLLOUT };
	/* Backpressure: while the person is behind, the broker is not
	 * read (only its hang-up is seen), so its queue to us fills and
	 * it holds the senders instead of us cutting the person off. */
	int behind = outq_pending(&s->person.out) > PERSON_OUTQ_MAX / 4;
	p[3] = (struct pollfd){ .fd = s->bc.fd, .events = (short)(
		bconn_events(&s->bc) & (behind ? ~POLLIN : ~0)) };
	if (poll(p, 4, poll_timeout(s, now)) < 0) {
		if (errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			session_end(s, EXIT_TEMP, "poll failed");
		}
		return;
	}
	if (p[0].revents)
		on_signals(s);
	/* The broker first: others' lines are never held up by this one. */
	if (bconn_connected(&s->bc) &&
	    (p[3].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		read_broker(s);
	if (p[1].revents)
		person_read(&s->person, s->cfg->peer);
}

static void loop(struct session *s, int sigfd)
{
	while (!over(s)) {
		long long now = io_now_ms();
		timers(s, now);
		if (!over(s))
			input_process(s, now);
		if (!over(s) && input_over(s, now))
			session_end(s, EXIT_OK, "the person left");
		bconn_flush(&s->bc);
		if (person_flush(&s->person) != 0)
			session_end(s, EXIT_OK, "the person's connection "
				    "closed");
		if (!over(s))
			poll_once(s, sigfd, now);
	}
}

/* 8 random bytes: getentropy(3) (POSIX.1-2024) where the C library
 * has it, one system call; else /dev/urandom.  Returns 0 or -1. */
static int random_bytes(unsigned char *r, size_t n)
{
#if (defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 25)) || \
    defined(__OpenBSD__)
	if (getentropy(r, n) == 0)
		return 0;
#endif
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? io_read(fd, r, n) : -1;
	if (fd >= 0)
		close(fd);
	return got == (ssize_t)n ? 0 : -1;
}

/* An id for this session process, unique across restarts of anything:
 * 8 random bytes in hex, or (none to be had) pid, time and a counter
 * of the clock. */
static void origin_make(char *out, size_t size)
{
	unsigned char r[8];
	if (random_bytes(r, sizeof r) == 0) {
		for (size_t i = 0; i < sizeof r && 2 * i + 2 < size; i++)
			snprintf(out + 2 * i, 3, "%02x", r[i]);
		return;
	}
	snprintf(out, size, "%ld-%lld-%lld", (long)getpid(),
		 (long long)time(NULL), io_now_ms());
}

static void start(struct session *s, const struct session_config *cfg)
{
	long long now = io_now_ms();
	/* s is static, so already zero: a memset would dirty every page of
	 * its 64 KiB broker buffer in every session for nothing. */
	s->cfg = cfg;
	person_init(&s->person);
	bconn_init(&s->bc, cfg->broker_path, cfg->reconnect_limit_s);
	login_init(&s->login, &s->person, cfg);
	origin_make(s->origin, sizeof s->origin);
	chat_init(&s->chat, &s->person, &s->bc, s->origin, cfg->history_lines);
	s->chat.users_path = cfg->users_path;
	s->person.machine = cfg->machine;
	s->login_deadline = now + cfg->login_timeout_s * 1000LL;
	bucket_init(&s->bucket, cfg->burst, cfg->rate, now);
}

int session_run(const struct session_config *cfg)
{
	/* Static (zeroed, and untouched pages cost nothing): big because
	 * of the broker buffer.  session_run runs once per process. */
	static struct session s;
	start(&s, cfg);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		log_msg(LOG_WARNING, "ignoring SIGPIPE: %s", strerror(errno));
	int sigfd = selfpipe_init(signals);
	if (sigfd < 0) {
		log_msg(LOG_ERR, "self-pipe: %s", strerror(errno));
		return EXIT_TEMP;
	}
	/* A pipe or terminal must not block us: the broker is read on. */
	if (!s.person.out_sock && term_nonblock(1) != 0)
		log_msg(LOG_WARNING, "fd 1 non-blocking: %s", strerror(errno));
	log_msg(LOG_INFO, "connection from %s", cfg->peer);
	if (bconn_open(&s.bc) != 0 && !broker_on_its_way(&s))
		broker_unavailable(&s);
	else
		login_step(&s, login_start(&s.login));
	loop(&s, sigfd);
	/* The broker first, so the others see the leave at once. */
	bconn_finish(&s.bc, BROKER_FLUSH_MS);
	person_finish(&s.person, FINAL_FLUSH_MS);
	return s.exit_code;
}
