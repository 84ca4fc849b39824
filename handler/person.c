/* person.c — the person's side of the session: fd 0 in, fd 1 out. */
#include "person.h"
#include "io.h"
#include "log.h"
#include "term.h"
#include "text.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINGER_MS 2000 /* at most this long reading what the person sent */

void person_init(struct person *p)
{
	p->in_sock = io_is_socket(0);
	p->in_tty = isatty(0);
	p->out_sock = io_is_socket(1);
	outq_init(&p->out, PERSON_OUTQ_MAX);
	telnet_init(&p->tn);
	line_init(&p->ln);
}

static int silent(const struct person *p)
{
	return p->overflow || p->out_failed;
}

int person_say(struct person *p, const void *data, size_t len)
{
	if (silent(p))
		return -1;
	if (outq_append(&p->out, data, len) != 0) {
		p->overflow = 1;
		return -1;
	}
	return 0;
}

void person_event(struct person *p, const char *kind, const char *room,
		  const char *name, const char *text)
{
	static char out[MACHINE_LINE_MAX];
	if (!p->machine)
		return;
	size_t n = machine_format(&p->mach, NULL, kind, room,
				  room ? strlen(room) : 0, name,
				  name ? strlen(name) : 0, text,
				  text ? strlen(text) : 0, out, sizeof out);
	person_say(p, out, n);
}

/* Machine mode: each whole, non-empty line of str as a notice. */
static void sayz_events(struct person *p, const char *str)
{
	static char line[1024];
	const char *nl;
	while ((nl = strchr(str, '\n')) != NULL) {
		size_t n = (size_t)(nl - str);
		if (n && str[n - 1] == '\r')
			n--;
		if (n >= 4 && memcmp(str, "*** ", 4) == 0) {
			str += 4;
			n -= 4;
		}
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, str, n);
		line[n] = '\0';
		if (n)
			person_event(p, "notice", NULL, NULL, line);
		str = nl + 1;
	}
}

void person_sayz(struct person *p, const char *str)
{
	if (p->machine)
		sayz_events(p, str);
	else
		person_say(p, str, strlen(str));
}

void person_notice(struct person *p, const char *msg)
{
	char out[512];
	if (p->machine) {
		snprintf(out, sizeof out, "%s", msg);
		person_event(p, "notice", NULL, NULL, out);
		return;
	}
	person_say(p, out, text_notice(msg, out, sizeof out));
}

void person_last_word(struct person *p, const char *msg)
{
	char out[512];
	size_t n = text_notice(msg, out, sizeof out);
	struct outq *q = &p->out;
	if (p->out_failed)
		return;
	/* What is queued is dropped, but for the rest of the line whose
	 * start may be out already: the notice starts a line of its own. */
	const char *nl = q->len ? memchr(q->buf + q->head, '\n', q->len) : NULL;
	if (nl)
		q->len = (size_t)(nl - (q->buf + q->head)) + 1;
	else if (q->len)
		(void)outq_append_slack(q, "\r\n", 2, PERSON_SLACK);
	p->overflow = 0;
	(void)outq_append_slack(q, out, n, PERSON_SLACK);
}

int person_flush(struct person *p)
{
	if (silent(p) || outq_flush(&p->out, 1, p->out_sock) >= 0)
		return 0;
	p->out_failed = 1;
	return -1;
}

int person_wants_input(const struct person *p)
{
	return !p->in_eof && !p->line_pending && p->inpos == p->inlen;
}

void person_read(struct person *p, const char *who)
{
	ssize_t n = io_read_some(0, p->in, sizeof p->in);
	if (n == 0)
		return;
	if (n > 0) {
		p->inpos = 0;
		p->inlen = (size_t)n;
		return;
	}
	if (errno != EPIPE)
		log_msg(LOG_INFO, "reading from %s: %s", who, strerror(errno));
	p->in_eof = 1;
	/* A last line without a line end still counts. */
	if (p->ln.len > 0 && !p->ln.ready &&
	    line_feed(&p->ln, '\n') == LINE_READY)
		p->line_pending = 1;
}

enum person_event person_feed(struct person *p)
{
	while (!p->line_pending && p->inpos < p->inlen) {
		unsigned char reply[TELNET_REPLY_MAX];
		size_t rl;
		int c = telnet_feed(&p->tn, p->in[p->inpos++], reply, &rl);
		if (rl)
			person_say(p, reply, rl);
		if (c == TELNET_NONE)
			continue;
		enum line_event e = line_feed(&p->ln, c);
		if (e == LINE_READY)
			p->line_pending = 1;
		else if (e == LINE_TOO_LONG)
			return PERSON_TOO_LONG;
		else if (e == LINE_INTERRUPT)
			return PERSON_INTERRUPT;
		else if (e == LINE_LEAVE)
			return PERSON_LEAVE;
	}
	/* The question after ^C is asked once the input read is used up:
	 * telnet throws away what it receives until our TIMING-MARK answer,
	 * which went out with the input before (line.h). */
	if (!p->line_pending && line_question_due(&p->ln))
		person_notice(p, "Leave the chat? (y/n)");
	return p->line_pending ? PERSON_LINE : PERSON_IDLE;
}

void person_telnet_start(struct person *p)
{
	unsigned char neg[TELNET_START_LEN];
	if (p->in_sock)
		person_say(p, neg, telnet_start(&p->tn, neg));
}

char *person_line(struct person *p, size_t *len)
{
	*len = p->ln.len;
	return p->ln.buf;
}

void person_line_done(struct person *p)
{
	p->line_pending = 0;
}

int person_input_over(const struct person *p)
{
	return p->in_eof && !p->line_pending && p->inpos == p->inlen;
}

void person_echo_off(struct person *p)
{
	unsigned char cmd[3];
	if (p->in_sock) {
		person_say(p, cmd, telnet_will_echo(&p->tn, cmd));
		p->echo_off = 1;
	} else if (p->in_tty && term_echo_off(0) == 0) {
		p->echo_off = 1;
	}
}

void person_echo_on(struct person *p)
{
	unsigned char cmd[3];
	if (!p->echo_off)
		return;
	if (p->in_sock) {
		size_t n = telnet_wont_echo(&p->tn, cmd); /* 0: already off */
		if (n)
			person_say(p, cmd, n);
	} else
		term_echo_restore();
	/* The person's Enter was not echoed either. */
	person_sayz(p, "\r\n");
	p->echo_off = 0;
}

/* Writes what is left in q, for at most ms milliseconds. */
static void final_flush(struct outq *q, int fd, int is_socket, int ms)
{
	long long deadline = io_now_ms() + ms;
	while (outq_flush(q, fd, is_socket) == 0) {
		long long left = deadline - io_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (left <= 0 ||
		    (poll(&pfd, 1, (int)left) < 0 && errno != EINTR))
			return;
	}
}

/* Closing a socket that holds unread input makes the kernel send RST,
 * and the person's side may then drop what we wrote last (the Goodbye,
 * why the session ended) before showing it: a person who typed ahead
 * of /exit, or a flooder cut off.  So, as Apache's lingering close
 * does: send FIN after the data, then read and discard until the
 * person closes, for at most LINGER_MS. */
static void linger(struct person *p)
{
	if (!p->in_sock || !p->out_sock || p->in_eof)
		return;
	if (shutdown(1, SHUT_WR) != 0) {
		log_msg(LOG_INFO, "shutdown: %s", strerror(errno));
		return;
	}
	long long deadline = io_now_ms() + LINGER_MS;
	for (;;) {
		long long left = deadline - io_now_ms();
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		if (left <= 0)
			return;
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return;
		if (r > 0 && io_read_some(0, p->in, sizeof p->in) < 0)
			return;
	}
}

int person_drain(struct person *p, int ms)
{
	final_flush(&p->out, 1, p->out_sock, ms);
	return outq_pending(&p->out) == 0 ? 0 : -1;
}

void person_finish(struct person *p, int ms)
{
	if (!silent(p)) {
		final_flush(&p->out, 1, p->out_sock, ms);
		linger(p);
	}
	term_echo_restore();
	term_flags_restore();
	outq_free(&p->out);
}
