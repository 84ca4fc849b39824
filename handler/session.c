/* session.c — the event loop: poll on the person (fd 0, fd 1), the
 * broker and the self-pipe; timers from a monotonic clock as poll
 * timeouts, so an idle session costs no CPU. */
#include "session.h"
#include "io.h"
#include "log.h"
#include "selfpipe.h"
#include "term.h"
#include "text.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FINAL_FLUSH_MS 2000
#define LINGER_MS 2000 /* at most this long reading what the person sent */

static const int signals[] = { SIGTERM, SIGINT, SIGHUP, 0 };

void session_end(struct session *s, int code, const char *why)
{
	if (s->done)
		return;
	s->done = 1;
	s->exit_code = code;
	log_msg(code == EXIT_OK ? LOG_INFO : LOG_WARNING,
		"session of %s from %s ended: %s",
		s->joined ? s->name : "(not logged in)", s->cfg->peer, why);
}

void session_say(struct session *s, const void *data, size_t len)
{
	if (s->skip_person_flush)
		return;
	if (outq_append(&s->out, data, len) != 0) {
		s->skip_person_flush = 1;
		session_end(s, EXIT_OK, "too far behind (the person stopped "
			    "reading)");
	}
}

void session_sayz(struct session *s, const char *str)
{
	session_say(s, str, strlen(str));
}

void session_notice(struct session *s, const char *msg)
{
	char out[512];
	session_say(s, out, text_notice(msg, out, sizeof out));
}

/* Whether the pending line may be handled now; sets the flood wait. */
static int line_allowed(struct session *s, long long now)
{
	if (s->st == ST_ID || s->st == ST_PW)
		return 1;
	if (s->st != ST_CHAT || s->awaiting ||
	    outq_pending(&s->bout) > BROKER_BACKLOG)
		return 0;
	if (s->ln.len == 0)
		return 1; /* empty lines cost nothing */
	if (bucket_full(&s->bucket, now))
		s->throttled = 0; /* the person slowed down: a new episode */
	long long wait = bucket_take(&s->bucket, now);
	if (wait == 0)
		return 1;
	s->token_wait_until = now + wait;
	if (!s->throttled) {
		s->throttled = 1;
		session_notice(s, "You are sending too fast; your lines are "
			       "being delayed.");
	}
	return 0;
}

static void handle_line(struct session *s, long long now)
{
	s->line_pending = 0;
	if (s->st == ST_CHAT) {
		s->last_line_ms = now;
		chat_line(s, s->ln.buf, s->ln.len);
	} else {
		login_line(s, s->ln.buf, s->ln.len);
	}
}

static void too_long(struct session *s)
{
	session_notice(s, "Line too long (over 1024 bytes); not sent.");
	if (s->st == ST_ID)
		session_sayz(s, "ID: ");
	else if (s->st == ST_PW)
		session_sayz(s, "PW: ");
}

/* ^C (telnet's IP): before log-in it ends the session; once logged in
 * the question is asked when the input read is used up (line.h), and a
 * yes ends it. */
static void interrupted(struct session *s, enum line_event e)
{
	if (e == LINE_INTERRUPT && s->joined)
		return;
	session_notice(s, e == LINE_LEAVE ? "Goodbye." : "Interrupted. "
		       "Goodbye.");
	session_end(s, EXIT_OK, "interrupted");
}

/* Runs buffered input through telnet and line assembly, handling lines
 * while the state and the flood limit allow. */
static void input_process(struct session *s, long long now)
{
	while (!s->done) {
		if (s->line_pending) {
			if (!line_allowed(s, now))
				return;
			handle_line(s, now);
			continue;
		}
		if (s->inpos == s->inlen) {
			if (line_question_due(&s->ln))
				session_notice(s, "Leave the chat? (y/n)");
			return;
		}
		unsigned char reply[TELNET_REPLY_MAX];
		size_t rl;
		int c = telnet_feed(&s->tn, s->in[s->inpos++], reply, &rl);
		if (rl)
			session_say(s, reply, rl);
		if (c == TELNET_NONE)
			continue;
		enum line_event e = line_feed(&s->ln, c);
		if (e == LINE_READY)
			s->line_pending = 1;
		else if (e == LINE_TOO_LONG)
			too_long(s);
		else if (e != LINE_NONE)
			interrupted(s, e);
	}
}

static void read_person(struct session *s)
{
	ssize_t n = io_read(0, s->in, sizeof s->in);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (n < 0)
			log_msg(LOG_INFO, "reading from %s: %s", s->cfg->peer,
				strerror(errno));
		s->in_eof = 1;
		/* A last line without a line end still counts. */
		if (s->ln.len > 0 && !s->ln.ready &&
		    line_feed(&s->ln, '\n') == LINE_READY)
			s->line_pending = 1;
		return;
	}
	s->inpos = 0;
	s->inlen = (size_t)n;
}

static void dispatch(struct session *s, const struct frame *f)
{
	if (s->st == ST_WAIT_LOGIN && (f->type == FRAME_OK ||
				       f->type == FRAME_ERR))
		login_reply(s, f);
	else
		chat_frame(s, f);
}

/* Reads a big chunk from the broker and turns every whole frame in it
 * into lines for the person.  Returns 1 when it read something, 0 when
 * nothing was there (EAGAIN), -1 when the connection is gone. */
static int read_broker(struct session *s)
{
	ssize_t n = io_read(s->bfd, s->bin + s->binlen,
			    sizeof s->bin - s->binlen);
	if (n > 0) {
		s->binlen += (size_t)n;
		bconn_touched(s);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		if (n < 0)
			log_msg(LOG_WARNING, "reading the broker: %s",
				strerror(errno));
		bconn_lost(s);
		return -1;
	}
	size_t off = 0;
	while (!s->done && s->bfd >= 0) {
		struct frame f;
		int used = frame_decode(s->bin + off, s->binlen - off, &f);
		if (used == FRAME_NEED_MORE)
			break;
		if (used == FRAME_BAD) {
			log_msg(LOG_ERR, "bad frame from the broker");
			bconn_lost(s);
			return -1;
		}
		off += (size_t)used;
		dispatch(s, &f);
	}
	if (s->bfd < 0)
		return -1;
	memmove(s->bin, s->bin + off, s->binlen - off);
	s->binlen -= off;
	return 1;
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
	if ((sigs & (1u << SIGINT)) && s->in_tty) {
		session_notice(s, "Interrupted. Goodbye.");
		session_end(s, EXIT_OK, "interrupted");
	} else if (sigs & ((1u << SIGTERM) | (1u << SIGINT))) {
		session_notice(s, "The server is shutting down. Goodbye.");
		session_end(s, EXIT_OK, "shut down");
	}
}

static void flush_person(struct session *s)
{
	if (!s->skip_person_flush &&
	    outq_flush(&s->out, 1, s->out_sock) < 0) {
		s->skip_person_flush = 1;
		session_end(s, EXIT_OK, "the person's connection closed");
	}
}

/* A write fails also when the broker has cut this session off: it
 * closes right after sending its KICK, which may still be unread here.
 * So stop writing and let the reads run to the end of what the broker
 * sent: a KICK among it ends the session, the end of it without one
 * means a lost broker and reconnecting (bconn_lost). */
static void flush_broker(struct session *s)
{
	if (s->bfd < 0 || s->bout_broken ||
	    outq_flush(&s->bout, s->bfd, 1) >= 0)
		return;
	log_msg(LOG_WARNING, "writing to the broker: %s", strerror(errno));
	s->bout_broken = 1;
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
		s->awaiting = 0;
		bconn_lost(s);
		return;
	}
	log_msg(LOG_ERR, "no reply from the broker to request type %u in "
		"%d ms; taking lines again", s->awaiting, REPLY_WAIT_MS);
	s->awaiting = 0;
	session_notice(s, "No answer from the chat service in time; "
		       "going on without it.");
}

static void timers(struct session *s, long long now)
{
	const struct session_config *cfg = s->cfg;
	if (!s->joined && now >= s->login_deadline) {
		if (s->st == ST_ID || s->st == ST_PW)
			session_sayz(s, "\r\n"); /* after the prompt */
		session_notice(s, "Login timed out.");
		session_end(s, EXIT_OK, "log-in timed out");
	} else if (s->st == ST_CHAT && cfg->idle_timeout_s > 0 &&
		   now >= s->last_line_ms + cfg->idle_timeout_s * 1000LL) {
		session_notice(s, "Idle for too long; goodbye.");
		session_end(s, EXIT_OK, "idle for too long");
	} else if (s->st == ST_DELAY && now >= s->delay_until) {
		login_delay_over(s);
	} else if (s->st == ST_RECONNECT && now >= s->rc_next) {
		bconn_retry(s, now);
	}
	if (s->bin_trim_at && now >= s->bin_trim_at)
		bconn_trim(s);
	if (s->awaiting && now >= s->reply_deadline)
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
	if (!s->joined)
		earliest(&t, s->login_deadline);
	if (s->st == ST_CHAT && s->cfg->idle_timeout_s > 0)
		earliest(&t, s->last_line_ms + s->cfg->idle_timeout_s * 1000LL);
	if (s->st == ST_DELAY)
		earliest(&t, s->delay_until);
	if (s->st == ST_RECONNECT)
		earliest(&t, s->rc_next);
	if (s->bin_trim_at)
		earliest(&t, s->bin_trim_at);
	if (s->awaiting)
		earliest(&t, s->reply_deadline);
	if (s->line_pending && s->st == ST_CHAT && !s->awaiting &&
	    outq_pending(&s->bout) <= BROKER_BACKLOG)
		earliest(&t, s->token_wait_until);
	if (t < 0)
		return -1;
	t -= now;
	return t < 0 ? 0 : t > 60000 ? 60000 : (int)t;
}

/* The person is gone and everything they sent is handled and
 * answered (a half-closed connection still reads the answers): also
 * the "Login incorrect." due after the failure delay, and a /who or
 * /rooms to be asked again once a lost broker is back. */
static int input_over(const struct session *s)
{
	return s->in_eof && !s->line_pending && s->inpos == s->inlen &&
	       s->st != ST_WAIT_LOGIN && s->st != ST_DELAY &&
	       !s->awaiting && !s->resend;
}

static void poll_once(struct session *s, int sigfd, long long now)
{
	struct pollfd p[4];
	int want_in = !s->in_eof && !s->line_pending && s->inpos == s->inlen;
	p[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = want_in ? 0 : -1, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = outq_pending(&s->out) ? 1 : -1,
				.events = POLLOUT };
	p[3] = (struct pollfd){ .fd = s->bfd, .events = (short)(POLLIN |
			(outq_pending(&s->bout) && !s->bout_broken ?
			 POLLOUT : 0)) };
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
	if (s->bfd >= 0 && (p[3].revents & (POLLIN | POLLHUP | POLLERR |
					    POLLNVAL)))
		read_broker(s);
	if (p[1].revents)
		read_person(s);
}

static void loop(struct session *s, int sigfd)
{
	while (!s->done) {
		long long now = io_now_ms();
		timers(s, now);
		if (!s->done)
			input_process(s, now);
		if (!s->done && input_over(s))
			session_end(s, EXIT_OK, "the person left");
		flush_broker(s);
		flush_person(s);
		if (!s->done)
			poll_once(s, sigfd, now);
	}
}

/* Writes what is left in q, for at most ms milliseconds. */
static void final_flush(struct outq *q, int fd, int is_socket, int ms)
{
	long long deadline = io_now_ms() + ms;
	while (outq_flush(q, fd, is_socket) == 0) {
		long long left = deadline - io_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
			return;
	}
}

/* Closing a socket that holds unread input makes the kernel send RST,
 * and the person's side may then drop what we wrote last (the Goodbye,
 * why the session ended) before showing it: a person who typed ahead
 * of /exit, or a flooder cut off.  So, as Apache's lingering close
 * does: send FIN after the data, then read and discard until the
 * person closes, for at most LINGER_MS. */
static void linger(struct session *s)
{
	if (!s->in_sock || !s->out_sock || s->in_eof)
		return;
	if (shutdown(1, SHUT_WR) != 0) {
		log_msg(LOG_INFO, "shutdown: %s", strerror(errno));
		return;
	}
	long long deadline = io_now_ms() + LINGER_MS;
	for (;;) {
		long long left = deadline - io_now_ms();
		struct pollfd p = { .fd = 0, .events = POLLIN };
		if (left <= 0)
			return;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0)
			continue;
		ssize_t n = io_read(0, s->in, sizeof s->in);
		if (n == 0 || (n < 0 && errno != EAGAIN &&
			       errno != EWOULDBLOCK))
			return;
	}
}

static void finish(struct session *s)
{
	/* The broker first, so the others see the leave at once. */
	if (s->bfd >= 0) {
		final_flush(&s->bout, s->bfd, 1, 1000);
		close(s->bfd);
		s->bfd = -1;
	}
	if (!s->skip_person_flush) {
		final_flush(&s->out, 1, s->out_sock, FINAL_FLUSH_MS);
		linger(s);
	}
	term_echo_restore();
	term_flags_restore();
	outq_free(&s->bout);
	outq_free(&s->out);
}

static void start(struct session *s, const struct session_config *cfg)
{
	long long now = io_now_ms();
	/* s is static, so already zero: a memset would dirty every page of
	 * its 64 KiB broker buffer in every session for nothing. */
	s->cfg = cfg;
	s->bfd = -1;
	s->in_sock = io_is_socket(0);
	s->in_tty = isatty(0);
	s->out_sock = io_is_socket(1);
	outq_init(&s->out, SESSION_OUTQ_MAX);
	outq_init(&s->bout, BROKER_OUTQ_MAX);
	telnet_init(&s->tn);
	line_init(&s->ln);
	snprintf(s->room, sizeof s->room, "%s", DEFAULT_ROOM);
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
	if (!s.out_sock && term_nonblock(1) != 0)
		log_msg(LOG_WARNING, "fd 1 non-blocking: %s", strerror(errno));
	log_msg(LOG_INFO, "connection from %s", cfg->peer);
	s.bfd = bconn_connect(cfg->broker_path);
	if (s.bfd < 0) {
		log_msg(LOG_ERR, "no broker at %s: %s", cfg->broker_path,
			strerror(errno));
		session_notice(&s, "The chat service is unavailable; try "
			       "again later.");
		session_end(&s, EXIT_TEMP, "broker unavailable");
	} else {
		login_start(&s);
	}
	loop(&s, sigfd);
	finish(&s);
	return s.exit_code;
}
