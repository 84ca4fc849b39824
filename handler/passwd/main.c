/* natter-passwd — add or replace a user in natter's users file (see
 * natter-passwd(1) and natter-users(5)).
 *
 * Contract:
 *   natter-passwd [-f file] name
 *   natter-passwd [-f file] -o name | -O name
 *   natter-passwd -h | -V
 *   The password is read twice without echo from the terminal on fd 0,
 *   or once from fd 0 (one line) when it is not a terminal.  -o marks
 *   the name's entry an operator's, -O unmarks it, reading no password
 *   (the name must have an entry); a new password keeps the mark.  Prompts
 *   and errors go to fd 2.  The file is $NATTER_USERS unless -f.
 *   Concurrent runs on one file serialise on an fcntl lock on
 *   file.lock, so none loses another's change.  A missing directory
 *   for the file is created (one level, 0755), else named.
 *   exit 0 done; 1 the passwords differ, are empty or too long, could
 *   not be read, or the file could not be written; 100 bad usage.  A
 *   SIGINT, SIGTERM, SIGHUP or SIGQUIT at a prompt, whenever it comes,
 *   restores the terminal's echo, then ends the program by that
 *   signal.  A SIGTSTP (^Z), SIGTTIN or SIGTTOU there restores the
 *   terminal, then stops the program by that signal; continued, it
 *   prompts again from the start (what was typed is dropped, as the
 *   terminal drops an unfinished line at ^Z).  A signal ignored at
 *   start stays ignored.  fd 0's terminal is read through a descriptor
 *   opened anew when it can be (see own_tty). */
#include "cli.h"
#include "../users.h"
#include "fdline.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 256

/* The signals caught at a prompt: job control's suspend the prompt
 * (is_suspend), the others end the program. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGTSTP, SIGTTIN, SIGTTOU };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static volatile sig_atomic_t stopped; /* the signal that came, or 0 */

/* 1 when sig is one that suspends the prompt rather than ending it. */
static int is_suspend(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* An ending signal wins over a suspending one that comes in the same
 * wait, whichever of their handlers runs last. */
static void on_stop(int sig)
{
	if (!stopped || !is_suspend(sig))
		stopped = sig;
}


static void usage(FILE *to)
{
	fprintf(to, "usage: natter-passwd [-f file] name\n"
		"       natter-passwd [-f file] -o name | -O name\n"
		"       natter-passwd -h | -V\n");
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

/* The users file from -f or NATTER_USERS, the one name, and *op: 1
 * for -o, 0 for -O, -1 for neither (a new password). */
static void parse_args(int argc, char **argv, const char **file,
		       const char **name, int *op)
{
	int c;
	*file = getenv("NATTER_USERS");
	*op = -1;
	opterr = 0;
	if (cli_long_option(argc, argv) == 'h') {
		usage(stdout);
		exit(0);
	}
	if (cli_long_option(argc, argv) == 'V')
		cli_version("natter-passwd");
	while ((c = getopt(argc, argv, ":f:hoOV")) != -1) {
		if (c == 'V') {
			cli_version("natter-passwd");
		} else if (c == 'f') {
			*file = optarg;
		} else if (c == 'o' || c == 'O') {
			if (*op >= 0 && *op != (c == 'o'))
				usage_error("give -o or -O, not both");
			*op = c == 'o';
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

/* Turns echo off with the stop signals open: a background job (one
 * continued by bg) gets SIGTTOU and EINTR, which suspends the prompt,
 * where a blocked SIGTTOU would let it silence the terminal under the
 * shell.  A signal that comes meanwhile is in the flag, which
 * fdline_read checks first.  1 when the terminal was changed, else 0
 * with errno: a failed tcsetattr(3) changed nothing. */
static int set_quiet(const struct termios *quiet, const sigset_t *open)
{
	sigset_t held;
	if (sigprocmask(SIG_SETMASK, open, &held) != 0)
		return 0;
	int r = tcsetattr(0, TCSAFLUSH, quiet);
	int err = errno;
	(void)sigprocmask(SIG_SETMASK, &held, NULL); /* held is valid */
	errno = err;
	return r == 0;
}

/* fd 0's terminal opened anew, non-blocking: when the line goes between
 * fdline_read's wait and its read (^Z flushes the terminal's input;
 * another reader may take it), the read says EAGAIN and the wait,
 * which takes the stop signals, goes on, where a blocking read would
 * wait with them held.  O_NONBLOCK on fd 0 itself would reach the
 * shell, which shares it.  fd 0 (the window left open) when that
 * terminal cannot be opened: no node for it, or not readable by this
 * user (after su); or when it is not this session's terminal (the one
 * job control stops at), as then the node opened may not be fd 0's
 * terminal: /dev/ptmx opens a new pty of the same device number, whose
 * session is none. */
static int own_tty(void)
{
	struct stat was, now;
	pid_t sid = tcgetsid(0);
	const char *name = ttyname(0);
	if (sid == -1 || sid != getsid(0) || !name || fstat(0, &was) != 0)
		return 0;
	int fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fd < FD_SETSIZE && fstat(fd, &now) == 0 &&
	    now.st_rdev == was.st_rdev && tcgetsid(fd) == sid)
		return fd;
	(void)close(fd); /* read-only, nothing read: nothing to lose */
	return 0;
}

/* fdline_read from the terminal, the stop signals taken while it
 * waits; errno kept through the close. */
static ssize_t read_line(char *buf, size_t size, const sigset_t *wait_mask)
{
	struct fdline_stop stop = { &stopped, wait_mask };
	int in = own_tty();
	ssize_t n = fdline_read(in, buf, size, &stop);
	int err = errno;
	if (in != 0)
		(void)close(in); /* as in own_tty */
	errno = err;
	return n;
}

/* Prompts on fd 2 and reads a line with the terminal's echo off, then
 * restores the terminal.  Returns the line's length, or -1 (errno as
 * fdline_read), `stopped` naming the signal if one came. */
static ssize_t prompt_once(const char *prompt, char *buf, size_t size)
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
	int hushed = set_quiet(&quiet, &s.mask);
	if (hushed)
		n = read_line(buf, size, &s.mask);
	int err = errno;
	/* not touched when unchanged: in the background, with SIGTTOU
	 * blocked, it would be allowed and flush the shell's input */
	if (hushed && tcsetattr(0, TCSAFLUSH, &old) != 0)
		fprintf(stderr, "\nnatter-passwd: cannot restore the "
			"terminal: %s\n", strerror(errno));
	fputs("\n", stderr);
	release_stops(&s);
	errno = err;
	return n;
}

/* Prompts on fd 2 and reads a line with the terminal's echo off.
 * Returns the line's length or -1 (errno as fdline_read).  A signal
 * that ends the prompt ends the program, one that suspends it stops
 * the program, both once the terminal is restored; continued, the
 * prompt starts again, what was read of the line wiped: at ^Z the
 * terminal drops the unfinished line it holds, so keeping what this
 * program had read (with -icanon) would join two halves the person
 * cannot see. */
static ssize_t read_hidden(const char *prompt, char *buf, size_t size)
{
	for (;;) {
		ssize_t n = prompt_once(prompt, buf, size);
		int sig = stopped;
		if (!sig)
			return n;
		cli_wipe(buf, size);
		if (!is_suspend(sig))
			die_by_signal(sig);
		stopped = 0;
		/* Stops by sig, its disposition back (release_stops), as it
		 * would have without the prompt; returns once continued (at
		 * once in an orphaned process group, where the stop is
		 * dropped). */
		if (raise(sig) != 0)
			return -1;
	}
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

/* The users file's directory, created (mode 0755, one level, as
 * mkdir(1) does) when it is missing, so the first run on a fresh host
 * works; what cannot be created is named.  Done before the password is
 * asked, so nobody types it for nothing.  Returns 0, or -1 said. */
static int dir_ready(const char *file)
{
	char dir[4096];
	struct stat st;
	const char *slash = strrchr(file, '/');
	if (!slash || slash == file)
		return 0; /* the working directory, or / */
	if ((size_t)(slash - file) >= sizeof dir) {
		fprintf(stderr, "natter-passwd: %s: %s\n", file,
			strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = '\0';
	if (stat(dir, &st) == 0)
		return 0; /* not a directory: the lock's error says so */
	if (errno != ENOENT) {
		fprintf(stderr, "natter-passwd: directory %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "natter-passwd: no directory %s, and it cannot "
			"be created: %s\n", dir, strerror(errno));
		return -1;
	}
	fprintf(stderr, "natter-passwd: created directory %s\n", dir);
	return 0;
}

/* No core file: one dumped by ^\ (SIGQUIT) at the Again: prompt would
 * hold the first password, which only the end of the run wipes. */
static void no_core(void)
{
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		fprintf(stderr, "natter-passwd: warning: cannot turn core "
			"files off: %s\n", strerror(errno));
}

/* -o or -O: the mark set or cleared, the password kept. */
static int set_op(const char *file, const char *name, int op)
{
	char err[300];
	if (users_edit(file, name, NULL, op, err, sizeof err) != 0) {
		fprintf(stderr, "natter-passwd: %s: %s: %s\n", file, name, err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file, *name;
	char pw[PASSWORD_MAX];
	int op;
	no_core();
	parse_args(argc, argv, &file, &name, &op);
	if (!name_valid(name, strlen(name))) {
		fprintf(stderr, "natter-passwd: bad name \"%s\": names are 1 to "
			"16 letters, digits, _ or -\n", name);
		return 100;
	}
	if (op >= 0)
		return set_op(file, name, op);
	if (dir_ready(file) != 0 || get_password(pw, sizeof pw) != 0)
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
