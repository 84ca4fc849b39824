/* scripted.c — natter with no terminal: lines from fd 0 go to the
 * server, what the server sends goes to fd 1, cleaned.
 *
 * After fd 0's end, what is queued is sent, then the socket is shut
 * for writing (the server sees the end, as from telnet), and output is
 * read until the server closes.  With -u, fd 0 is not read until the
 * login has succeeded, so no line of the script is taken as a name. */
#include "client.h"
#include "ctty.h"
#include "ledit.h"
#include "io.h"
#include "selfpipe.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* A script's line is held up to this size; a longer one is sent in
 * pieces as it comes (the server then judges its length). */
#define SCRIPT_LINE_MAX 4096

struct script {
	char line[SCRIPT_LINE_MAX];
	size_t nline;
	int after_cr, eof, shut;
};

static int end_script_line(struct csess *s, struct script *sc)
{
	int r = csess_send_line(s, sc->line, sc->nline);
	sc->nline = 0;
	return r;
}

/* Sends the complete lines of what was read; keeps the rest. */
static int feed(struct csess *s, struct script *sc, const char *buf,
		size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int after_cr = sc->after_cr;
		sc->after_cr = 0;
		if (buf[i] == '\r') {
			sc->after_cr = 1;
			if (end_script_line(s, sc) != 0)
				return -1;
		} else if (buf[i] == '\n') {
			if (!after_cr && end_script_line(s, sc) != 0)
				return -1;
		} else {
			if (sc->nline == SCRIPT_LINE_MAX) {
				if (csess_send_raw(s, sc->line, sc->nline) != 0)
					return -1;
				sc->nline = 0;
			}
			sc->line[sc->nline++] = buf[i];
		}
	}
	return 0;
}

/* Reads fd 0 once.  -1 on an error that ends the session. */
static int read_script(struct csess *s, struct script *sc)
{
	char buf[CLIENT_READ_CHUNK];
	ssize_t n = io_read(0, buf, sizeof buf);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0) {
		sc->eof = 1;
		if (sc->nline > 0 && end_script_line(s, sc) != 0)
			return -1;
		return 0;
	}
	return feed(s, sc, buf, (size_t)n);
}

static int may_read_script(const struct csess *s, const struct script *sc)
{
	return !sc->eof && (!s->auto_name || s->logged_in) &&
	       outq_pending(&s->to_server) + TO_SERVER_HEADROOM <= TO_SERVER_MAX;
}

/* After the script's end and once all is sent: half-close. */
static int maybe_shut(struct csess *s, struct script *sc)
{
	if (!sc->eof || sc->shut || outq_pending(&s->to_server) > 0 ||
	    (s->auto_name && !s->logged_in))
		return 0;
	sc->shut = 1;
	s->user_ending = 1;
	if (shutdown(s->sock, SHUT_WR) != 0 && errno != ENOTCONN)
		return -1;
	return 0;
}

static int setup(int *sp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	*sp = selfpipe_init(sigs);
	if (*sp < 0 || ctty_nonblock(0) != 0 || ctty_nonblock(1) != 0) {
		fprintf(stderr, "natter: cannot set up: %s\n", strerror(errno));
		ctty_restore();
		return -1;
	}
	return 0;
}

int client_scripted(struct csess *s)
{
	struct script sc = { .nline = 0 };
	struct outq out;
	int sp;
	if (setup(&sp) != 0)
		return NATTER_EXIT_LOST;
	outq_init(&out, DISPLAY_MAX);
	for (;;) {
		if (s->fatal)
			return client_end_session(s, &out, 0, 0);
		if (maybe_shut(s, &sc) != 0)
			return client_end_session(s, &out, errno, 0);
		struct pollfd p[4] = {
			{ .fd = sp, .events = POLLIN },
			{ .fd = may_read_script(s, &sc) ? 0 : -1,
			  .events = POLLIN },
			{ .fd = s->sock, .events = 0 },
			{ .fd = outq_pending(&out) ? 1 : -1, .events = POLLOUT },
		};
		if (outq_pending(&out) + DISPLAY_HEADROOM <= DISPLAY_MAX)
			p[2].events |= POLLIN;
		if (outq_pending(&s->to_server) > 0)
			p[2].events |= POLLOUT;
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return client_end(&out, NATTER_EXIT_LOST, "natter: poll failed");
		}
		unsigned sigs = p[0].revents ? selfpipe_drain() : 0;
		for (int sig = 1; sig < 32; sig++)
			if (sigs & (1u << sig))
				return client_end_session(s, &out, 0, sig);
		if (p[1].revents && read_script(s, &sc) != 0)
			return client_end(&out, NATTER_EXIT_LOST,
					  "natter: cannot read input");
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			long n = csess_read(s, &out);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				return client_end_session(s, &out,
							  n == 0 ? 0 : errno, 0);
			csess_print_partial(s, &out);
		}
		if (outq_pending(&s->to_server) > 0 && csess_flush(s) < 0)
			return client_end_session(s, &out, errno, 0);
		if (outq_pending(&out) > 0 && outq_flush(&out, 1, 0) < 0)
			return client_end(&out, NATTER_EXIT_LOST,
					  "natter: cannot write output");
	}
}
