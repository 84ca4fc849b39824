/* interactive.c — natter with a person at a terminal.
 *
 * One process polls the keyboard, the socket, the terminal's output
 * queue and the self-pipe of signals.  The row the cursor is on always
 * shows the server's prompt (text after its last line end, such as
 * "ID: ") and the line being typed; an arriving line is printed over
 * that row and the row is drawn again below it, so typing is never cut
 * up.  While the server has said WILL ECHO nothing typed is shown (not
 * even its length, as with telnet or ssh) nor kept in the history:
 * that is the password.
 *
 * Signals: ^C, SIGTERM, SIGHUP and ^\ end the session (status 128+N);
 * ^Z puts the terminal back and stops; SIGCONT and SIGWINCH redraw. */
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

/* After /exit or ^D, how long to wait for the server's goodbye. */
#define ENDING_WAIT_MS 2000
/* Keys read at once: each chunk ends in one redraw. */
#define KEY_CHUNK 64

/* One round shows at most a read of the socket (each byte grown by
 * scrubbing, the prompt shown again), the lines a chunk of keys sends
 * and two redraws: the socket is read only while that much is free. */
_Static_assert(SCRUB_GROWTH * (CLIENT_READ_CHUNK + 3) +
		       2 * CSESS_PARTIAL_MAX + 4 * LEDIT_RENDER_MAX(
		       CSESS_PARTIAL_MAX) + 4 * KEY_CHUNK <= DISPLAY_HEADROOM,
	       "a round may not fit the terminal's queue");

struct screen {
	struct ledit ed;
	struct outq out;
	int width;
	int ending;      /* /exit or ^D: waiting for the server to close */
	int want_shut;   /* ^D: half-close once everything is sent */
	long long deadline;
};

static void put(struct csess *s, struct screen *sc, const char *p, size_t n)
{
	if (outq_append(&sc->out, p, n) != 0)
		csess_fail(s, NATTER_EXIT_LOST, "natter: no memory for output");
}

static void puts_(struct csess *s, struct screen *sc, const char *p)
{
	put(s, sc, p, strlen(p));
}

static void redraw(struct csess *s, struct screen *sc)
{
	char buf[LEDIT_RENDER_MAX(CSESS_PARTIAL_MAX)];
	size_t n = ledit_render(&sc->ed, s->partial, s->npartial, sc->width,
				s->tn.remote_echo, buf);
	put(s, sc, buf, n);
}

static void begin_ending(struct screen *sc)
{
	sc->ending = 1;
	sc->deadline = io_now_ms() + ENDING_WAIT_MS;
}

/* ^D: the person leaves; the socket is half-closed once all is sent. */
static void end_input(struct csess *s, struct screen *sc)
{
	s->person_left = 1;
	sc->want_shut = 1;
	begin_ending(sc);
}

/* Enter: the row becomes a line of the conversation, the text goes. */
static void submit(struct csess *s, struct screen *sc, int *bell)
{
	size_t len;
	const char *line = ledit_line(&sc->ed, &len);
	int hidden = s->tn.remote_echo;
	if (csess_send_line(s, line, len) != 0) {
		*bell = 1; /* no room: the line stays, to try again */
		return;
	}
	if (!hidden) {
		/* While hidden the server echoes, and its line end will
		 * close the prompt's line; the typed text never shows. */
		puts_(s, sc, "\r");
		put(s, sc, s->partial, s->npartial);
		put(s, sc, line, len);
		puts_(s, sc, "\033[K\r\n");
		csess_clear_prompt(s);
	}
	ledit_accept(&sc->ed, !hidden);
	if (s->user_ending)
		begin_ending(sc);
}

/* Reads and applies a chunk of keys; one redraw at the end. */
static void read_keys(struct csess *s, struct screen *sc)
{
	unsigned char buf[KEY_CHUNK];
	ssize_t n = io_read_some(0, buf, sizeof buf);
	if (n == 0)
		return;
	if (n < 0 && errno != EPIPE) {
		char msg[120];
		snprintf(msg, sizeof msg, "natter: cannot read the terminal: %s",
			 strerror(errno));
		csess_fail(s, NATTER_EXIT_LOST, msg);
		return;
	}
	if (n < 0) { /* the terminal went away: as ^D */
		end_input(s, sc);
		return;
	}
	int bell = 0;
	sc->ed.hidden = s->tn.remote_echo;
	for (ssize_t i = 0; i < n && !sc->ending; i++) {
		switch (ledit_key(&sc->ed, buf[i])) {
		case LEDIT_SUBMIT: submit(s, sc, &bell); break;
		case LEDIT_BELL: bell = 1; break;
		case LEDIT_CLEAR: puts_(s, sc, "\033[H\033[2J"); break;
		case LEDIT_EOF: end_input(s, sc); break;
		default: break;
		}
	}
	if (bell)
		puts_(s, sc, "\a");
	redraw(s, sc);
}

/* ^Z: the terminal as the shell wants it, then stop until SIGCONT. */
static void suspend(struct csess *s, struct screen *sc)
{
	puts_(s, sc, "\r\033[K");
	ctty_restore();
	(void)outq_flush(&sc->out, 1, 0); /* blocking now: all of it */
	if (kill(getpid(), SIGSTOP) != 0)
		return;
	/* Running again. */
	if (ctty_reraw() != 0)
		csess_fail(s, NATTER_EXIT_LOST, "natter: cannot set up the "
			   "terminal again");
	sc->width = ctty_width(1);
	redraw(s, sc);
}

/* Acts on signals; returns the signal that ends the session, or 0. */
static int on_signals(struct csess *s, struct screen *sc)
{
	unsigned sigs = selfpipe_drain();
	if (sigs & ((1u << SIGINT) | (1u << SIGTERM) | (1u << SIGHUP) |
		    (1u << SIGQUIT)))
		for (int sig = 1; sig < 32; sig++)
			if (sigs & (1u << sig) && sig != SIGWINCH &&
			    sig != SIGTSTP && sig != SIGCONT)
				return sig;
	if (sigs & (1u << SIGTSTP))
		suspend(s, sc);
	if (sigs & ((1u << SIGWINCH) | (1u << SIGCONT))) {
		if (sigs & (1u << SIGCONT) && ctty_reraw() != 0)
			csess_fail(s, NATTER_EXIT_LOST, "natter: cannot set up "
				   "the terminal again");
		sc->width = ctty_width(1);
		redraw(s, sc);
	}
	return 0;
}

static int setup(int *sp, struct screen *sc)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGWINCH, SIGTSTP, SIGCONT, 0 };
	*sp = selfpipe_init(sigs);
	if (*sp < 0 || ctty_nonblock(0) != 0 || ctty_nonblock(1) != 0 ||
	    ctty_raw(0) != 0) {
		fprintf(stderr, "natter: cannot set up the terminal: %s\n",
			strerror(errno));
		ctty_restore();
		return -1;
	}
	ledit_init(&sc->ed);
	outq_init(&sc->out, DISPLAY_MAX);
	sc->width = ctty_width(1);
	return 0;
}

/* Leaves the screen tidy: the typed line goes, an unanswered prompt
 * stays on a line of its own. */
static int finish(struct csess *s, struct screen *sc, int err, int sig)
{
	puts_(s, sc, "\r\033[K");
	if (s->npartial > 0) {
		put(s, sc, s->partial, s->npartial);
		puts_(s, sc, "\r\n");
	}
	ledit_free(&sc->ed);
	return client_end_session(s, &sc->out, err, sig);
}

/* The terminal takes no more output: leave without showing more. */
static int lost_terminal(struct screen *sc)
{
	char msg[120];
	snprintf(msg, sizeof msg, "natter: cannot write to the terminal: %s",
		 strerror(errno));
	outq_free(&sc->out); /* what it holds can never be shown */
	outq_init(&sc->out, DISPLAY_MAX);
	ledit_free(&sc->ed);
	return client_end(&sc->out, NATTER_EXIT_LOST, msg);
}

/* One round of poll; returns -1 to go on, else an exit status. */
static int step(struct csess *s, struct screen *sc, int sp)
{
	int headroom = outq_pending(&sc->out) + DISPLAY_HEADROOM <= DISPLAY_MAX;
	int keys = !sc->ending && headroom &&
		   outq_pending(&s->to_server) + TO_SERVER_HEADROOM <=
			   TO_SERVER_MAX;
	short sock_ev = headroom ? POLLIN : 0;
	if (outq_pending(&s->to_server) > 0)
		sock_ev |= POLLOUT;
	/* A socket polled for nothing would still report a hang-up, at
	 * once and again: a busy loop while the terminal catches up. */
	struct pollfd p[4 + CFILES_MAX] = {
		{ .fd = sp, .events = POLLIN },
		{ .fd = keys ? 0 : -1, .events = POLLIN },
		{ .fd = sock_ev ? s->sock : -1, .events = sock_ev },
		{ .fd = outq_pending(&sc->out) ? 1 : -1, .events = POLLOUT },
	};
	/* file transfers' results (cfiles.h) */
	size_t nf = s->files ? cfiles_pollfds(s->files, p + 4) : 0;
	int timeout = -1;
	if (sc->ending) {
		long long left = sc->deadline - io_now_ms();
		if (left <= 0)
			return finish(s, sc, 0, 0);
		timeout = (int)left;
	}
	if (poll(p, 4 + nf, timeout) < 0)
		return errno == EINTR ? -1 : finish(s, sc, errno, 0);
	int sig = p[0].revents ? on_signals(s, sc) : 0;
	if (sig)
		return finish(s, sc, 0, sig);
	if (p[1].revents)
		read_keys(s, sc);
	if ((p[2].events & POLLIN) &&
	    (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
		puts_(s, sc, "\r\033[K");
		long n = csess_read(s, &sc->out);
		if (n < 0)
			return finish(s, sc, errno == EPIPE ? 0 : errno, 0);
		redraw(s, sc);
	}
	if (nf > 0)
		cfiles_check(s->files);
	if (cfiles_have_notes(s->files) &&
	    outq_pending(&sc->out) + 2 * CFILES_NOTES_MAX <= DISPLAY_MAX) {
		puts_(s, sc, "\r\033[K");
		if (cfiles_show(s->files, &sc->out, s->eol) != 0)
			csess_fail(s, NATTER_EXIT_LOST, "natter: no memory for "
				   "output");
		redraw(s, sc);
	}
	if (outq_pending(&s->to_server) > 0 && csess_flush(s) < 0)
		return finish(s, sc, errno, 0);
	if (sc->want_shut && outq_pending(&s->to_server) == 0) {
		sc->want_shut = 0;
		if (csess_shut(s) != 0)
			return finish(s, sc, errno, 0);
	}
	if (outq_pending(&sc->out) > 0 && outq_flush(&sc->out, 1, 0) < 0)
		return lost_terminal(sc);
	if (s->fatal)
		return finish(s, sc, 0, 0);
	return -1;
}

int client_interactive(struct csess *s)
{
	static struct screen sc; /* large: kept off the stack */
	int sp;
	if (setup(&sp, &sc) != 0)
		return NATTER_EXIT_LOST;
	redraw(s, &sc);
	int status;
	while ((status = step(s, &sc, sp)) < 0)
		;
	return status;
}
