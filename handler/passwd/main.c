/* natter-passwd — add or replace a user in natter's users file (see
 * natter-passwd(1) and natter-users(5)).
 *
 * Contract:
 *   natter-passwd [-f file] name
 *   natter-passwd -h
 *   The password is read twice without echo from the terminal on fd 0,
 *   or once from fd 0 (one line) when it is not a terminal.  Prompts
 *   and errors go to fd 2.  The file is $NATTER_USERS unless -f.
 *   Concurrent runs on one file serialise on an fcntl lock on
 *   file.lock, so none loses another's change.
 *   exit 0 done; 1 the passwords differ, are empty or too long, could
 *   not be read, or the file could not be written; 100 bad usage.  A
 *   SIGINT, SIGTERM, SIGHUP or SIGQUIT at a prompt, whenever it comes,
 *   restores the terminal's echo, then ends the program by that
 *   signal; one ignored at start stays ignored. */
#include "cli.h"
#include "../users.h"
#include "fdline.h"
#include "names.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 256

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static volatile sig_atomic_t stopped; /* the signal that came, or 0 */

static void on_stop(int sig)
{
	stopped = sig;
}


static void usage(FILE *to)
{
	fprintf(to, "usage: natter-passwd [-f file] name\n"
		"       natter-passwd -h\n");
}

/* One line saying what is wrong, then the usage; exits 100. */
static void usage_error(const char *msg)
{
	fprintf(stderr, "natter-passwd: %s\n", msg);
	usage(stderr);
	exit(100);
}

static void bad_option(int c)
{
	char msg[60];
	usage_error(cli_option_problem(c, optopt, msg, sizeof msg));
}

/* The users file from -f or NATTER_USERS, and the one name. */
static void parse_args(int argc, char **argv, const char **file,
		       const char **name)
{
	int c;
	*file = getenv("NATTER_USERS");
	opterr = 0;
	while ((c = getopt(argc, argv, ":f:h")) != -1) {
		if (c == 'f') {
			*file = optarg;
		} else if (c == 'h') {
			usage(stdout);
			exit(0);
		} else {
			bad_option(c);
		}
	}
	if (!*file || !**file)
		usage_error("no users file: give -f FILE or set NATTER_USERS");
	if (argc - optind != 1)
		usage_error(argc == optind ? "no name given"
					   : "give only one name");
	*name = argv[optind];
}

/* What catch_stops changed, for release_stops to put back. */
struct stops {
	sigset_t mask;			/* before; also the one to wait with */
	struct sigaction old[NSTOP];
	size_t saved;			/* how many of old[] are filled */
};

/* Puts back the dispositions, then the mask: a stop signal still
 * pending then acts by its own disposition, the terminal restored.
 * Cannot fail: the signals and values are the ones the kernel gave. */
static void release_stops(const struct stops *s)
{
	for (size_t i = 0; i < s->saved; i++)
		(void)sigaction(stop_signals[i], &s->old[i], NULL);
	(void)sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

/* Records sig's disposition in *old and, unless it is ignored, sets
 * *sa: 0, or -1 with errno and the disposition unchanged. */
static int catch_one(int sig, const struct sigaction *sa,
		     struct sigaction *old)
{
	if (sigaction(sig, NULL, old) != 0)
		return -1;
	return old->sa_handler == SIG_IGN ? 0 : sigaction(sig, sa, NULL);
}

/* While echo is off, a signal must not leave the terminal silent: the
 * stop signals are blocked, their handlers only record them, and
 * fdline_read unblocks them only while it waits, so one that comes at
 * any moment ends the read: none can slip in between a check of the
 * flag and a wait.  A signal ignored at start (nohup's SIGHUP) stays
 * ignored.
 * 0, or -1 with errno and nothing changed. */
static int catch_stops(struct stops *s)
{
	struct sigaction sa;
	sigset_t block;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&block, stop_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, &s->mask) != 0)
		return -1;
	for (s->saved = 0; s->saved < NSTOP; s->saved++) {
		if (catch_one(stop_signals[s->saved], &sa,
			      &s->old[s->saved]) != 0) {
			int err = errno;
			release_stops(s);
			errno = err;
			return -1;
		}
	}
	return 0;
}

/* Ends the program by the signal that interrupted the prompt, now the
 * terminal is restored, so the caller sees how it ended. */
static void die_by_signal(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig); /* the signal was ignored by the default action */
}

/* Prompts on fd 2 and reads a line with the terminal's echo off.
 * Returns the line's length or -1 (errno as fdline_read); a stop
 * signal ends the program once the terminal is restored. */
static ssize_t read_hidden(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	struct stops s;
	if (tcgetattr(0, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
	fputs(prompt, stderr);
	fflush(stderr);
	if (catch_stops(&s) != 0)
		return -1;
	ssize_t n = -1;
	if (tcsetattr(0, TCSAFLUSH, &quiet) == 0) {
		struct fdline_stop stop = { &stopped, &s.mask };
		n = fdline_read(0, buf, size, &stop);
	}
	int err = errno;
	if (tcsetattr(0, TCSAFLUSH, &old) != 0)
		fprintf(stderr, "\nnatter-passwd: cannot restore the "
			"terminal: %s\n", strerror(errno));
	fputs("\n", stderr);
	release_stops(&s);
	if (stopped)
		die_by_signal(stopped);
	errno = err;
	return n;
}

static int read_error(ssize_t n)
{
	if (n >= 0)
		return 0;
	if (errno == EMSGSIZE)
		fprintf(stderr, "natter-passwd: password too long (at most %d "
			"bytes)\n", PASSWORD_MAX - 1);
	else
		fprintf(stderr, "natter-passwd: cannot read the password: "
			"%s\n", strerror(errno));
	return 1;
}

static int get_password(char *pw, size_t size)
{
	char again[PASSWORD_MAX];
	if (!isatty(0))
		return read_error(fdline_read(0, pw, size, NULL)) ? -1 : 0;
	if (read_error(read_hidden("Password: ", pw, size)) ||
	    read_error(read_hidden("Again: ", again, sizeof again)))
		return -1;
	int same = strcmp(pw, again) == 0;
	cli_wipe(again, sizeof again);
	if (!same) {
		fprintf(stderr, "natter-passwd: the passwords differ\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file, *name;
	char pw[PASSWORD_MAX];
	parse_args(argc, argv, &file, &name);
	if (!name_valid(name, strlen(name))) {
		fprintf(stderr, "natter-passwd: bad name \"%s\": names are 1 to "
			"16 letters, digits, _ or -\n", name);
		return 100;
	}
	if (get_password(pw, sizeof pw) != 0)
		return 1;
	if (pw[0] == '\0') {
		fprintf(stderr, "natter-passwd: empty password refused\n");
		return 1;
	}
	const char *hash = users_hash(pw);
	cli_wipe(pw, sizeof pw);
	if (!hash) {
		fprintf(stderr, "natter-passwd: crypt: %s\n", strerror(errno));
		return 1;
	}
	char err[300];
	if (users_set(file, name, hash, err, sizeof err) != 0) {
		fprintf(stderr, "natter-passwd: %s: %s\n", file, err);
		return 1;
	}
	return 0;
}
