/* scripted.c — natter with no terminal: lines from fd 0 go to the
 * server, what the server sends goes to fd 1, cleaned.
 *
 * After fd 0's end, what is queued is sent, then the socket is shut
 * for writing (the server sees the end, as from telnet, but handles
 * every line before it first, even the login's), and output is read
 * until the server closes; telnet requests that arrive then go
 * unanswered (csess_shut).  With -u, fd 0 is not read until the
 * login has succeeded, so no line of the script is taken as a name.
 *
 * Nothing is lost and nothing grows without bound: fd 0 is read only
 * while the queue to the server has room for what one read can add, and
 * the socket only while fd 1's queue has; a slow server or a slow
 * reader of fd 1 holds up the other side instead.
 *
 * A person may type at a terminal while fd 1 goes elsewhere: then the
 * terminal's echo is turned off while the server echoes (a password). */
#include "client.h"
#include "cfiles.h"
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
#include <unistd.h>

/* A script's line is held up to this size; a longer one is sent in
 * pieces as it comes (the server then judges its length). */
#define SCRIPT_LINE_MAX 4096

/* One read of the script queues at most its bytes and a held line,
 * each doubled (IAC), and a CR LF per byte. */
_Static_assert(2 * (SCRIPT_LINE_MAX + CLIENT_READ_CHUNK) +
		       2 * CLIENT_READ_CHUNK <= TO_SERVER_HEADROOM,
	       "a read of the script may not fit the queue to the server");
/* One read of the socket shows at most each byte grown by scrubbing
 * and the held prompt. */
_Static_assert(SCRUB_GROWTH * (CLIENT_READ_CHUNK + 3) + CSESS_PARTIAL_MAX
		       <= DISPLAY_HEADROOM,
	       "a read of the socket may not fit the output queue");

struct script {
	char line[SCRIPT_LINE_MAX];
	size_t nline;
	int after_cr, eof;
	int tty;    /* fd 0 is a terminal: a person typing */
	int hiding; /* its echo is off, as the server echoes */
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
	ssize_t n = io_read_some(0, buf, sizeof buf);
	if (n == 0)
		return 0;
	if (n < 0 && errno != EPIPE)
		return -1;
	if (n < 0) {
		sc->eof = 1;
		/* At a terminal, the end is ^D: the person's choice. */
		s->person_left |= sc->tty;
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
	if (!sc->eof || s->shut || outq_pending(&s->to_server) > 0 ||
	    (s->auto_name && !s->logged_in))
		return 0;
	return csess_shut(s);
}

/* Follows the server's echo on a terminal's own echo. */
static int follow_echo(struct csess *s, struct script *sc)
{
	if (!sc->tty || sc->hiding == s->tn.remote_echo)
		return 0;
	sc->hiding = s->tn.remote_echo;
	return ctty_echo(0, !sc->hiding);
}

static int setup(int *sp, struct script *sc)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	*sp = selfpipe_init(sigs);
	if (*sp < 0 || ctty_nonblock(0) != 0 || ctty_nonblock(1) != 0) {
		fprintf(stderr, "natter: cannot set up: %s\n", strerror(errno));
		ctty_restore();
		return -1;
	}
	sc->tty = isatty(0);
	return 0;
}

/* Reads the socket once.  -1 to go on, else the session's status. */
static int read_server(struct csess *s, struct script *sc, struct outq *out)
{
	long n = csess_read(s, out);
	if (n < 0)
		return client_end_session(s, out, errno == EPIPE ? 0 : errno,
					  0);
	csess_print_partial(s, out);
	if (follow_echo(s, sc) != 0)
		return client_end(out, NATTER_EXIT_LOST,
				  "natter: cannot change the terminal's echo");
	return -1;
}

/* One round of poll.  -1 to go on, else the session's status. */
static int step(struct csess *s, struct script *sc, struct outq *out, int sp)
{
	if (s->fatal)
		return client_end_session(s, out, 0, 0);
	if (maybe_shut(s, sc) != 0)
		return client_end_session(s, out, errno, 0);
	short sock_ev = 0;
	if (outq_pending(out) + DISPLAY_HEADROOM <= DISPLAY_MAX)
		sock_ev |= POLLIN;
	if (outq_pending(&s->to_server) > 0)
		sock_ev |= POLLOUT;
	/* Not polled at all when nothing is wanted: a hang-up would
	 * otherwise wake poll at once, again and again. */
	struct pollfd p[4 + CFILES_MAX] = {
		{ .fd = sp, .events = POLLIN },
		{ .fd = may_read_script(s, sc) ? 0 : -1, .events = POLLIN },
		{ .fd = sock_ev ? s->sock : -1, .events = sock_ev },
		{ .fd = outq_pending(out) ? 1 : -1, .events = POLLOUT },
	};
	/* file transfers' results (cfiles.h) */
	size_t nf = s->files ? cfiles_pollfds(s->files, p + 4) : 0;
	if (poll(p, 4 + nf, -1) < 0)
		return errno == EINTR ? -1 : client_end(out, NATTER_EXIT_LOST,
						       "natter: poll failed");
	unsigned sigs = p[0].revents ? selfpipe_drain() : 0;
	for (int sig = 1; sig < 32; sig++)
		if (sigs & (1u << sig))
			return client_end_session(s, out, 0, sig);
	if (p[1].revents && read_script(s, sc) != 0)
		return client_end(out, NATTER_EXIT_LOST,
				  "natter: cannot read input");
	if ((sock_ev & POLLIN) && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
		int status = read_server(s, sc, out);
		if (status >= 0)
			return status;
	}
	if (nf > 0)
		cfiles_check(s->files);
	if (cfiles_have_notes(s->files) &&
	    outq_pending(out) + 2 * CFILES_NOTES_MAX <= DISPLAY_MAX &&
	    cfiles_show(s->files, out, s->eol) != 0)
		csess_fail(s, NATTER_EXIT_LOST, "natter: no memory for output");
	if (outq_pending(&s->to_server) > 0 && csess_flush(s) < 0)
		return client_end_session(s, out, errno, 0);
	if (outq_pending(out) > 0 && outq_flush(out, 1, 0) < 0)
		return client_end(out, NATTER_EXIT_LOST,
				  "natter: cannot write output");
	return -1;
}

int client_scripted(struct csess *s)
{
	static struct script sc; /* large: kept off the stack */
	struct outq out;
	int sp, status;
	if (setup(&sp, &sc) != 0)
		return NATTER_EXIT_LOST;
	outq_init(&out, DISPLAY_MAX);
	while ((status = step(s, &sc, &out, sp)) < 0)
		;
	return status;
}
