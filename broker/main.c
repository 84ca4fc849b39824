/* natter-broker — the process through which natter's sessions talk to
 * each other (broker.h): one UNIX socket, one thread, one event loop.
 *
 * Contract:
 *   natter-broker [-DNS] [-d fd] [-F bytes] [-L transcript] [-n name]
 *                 [-O seconds] [-p fd] [-P pidfile] [-q bytes] [-R redis]
 *                 [-s statedir] [--] socket      (see natter-broker(8))
 *   -F: the largest file that may be offered (issue 16).
 *   -O: how long an offer of a file stays open unanswered.
 *   -N: no room logs (history off); the rest of statedir is kept.
 *   -p fd: natterd's life line, a pipe only natterd writes to; at its
 *   end of file the broker stops (natterd died, even by SIGKILL).
 *   -R HOST:PORT or a socket path: the room logs are shared in that
 *   Redis (with every broker pointing there), not kept in statedir.
 *   Its password, if any, from the file named by
 *   $NATTER_REDIS_PASSWORD_FILE, else from $NATTER_REDIS_PASSWORD
 *   (never argv: ps shows argv to everyone).
 *   Accounts' ignore lists and offline messages, bans, topics and the
 *   room logs (history, locked; none with -N) are kept in statedir
 *   (default: store_default_dir, broker/store/store.h).
 *   natterd runs it as its supervised child (and restarts it); run
 *   alone, it is what `natterd -B` execs.  Logs go to stderr as
 *   "NAME[pid]: ...", or to syslog with -S.  fds 0, 1 and 2 are opened
 *   on /dev/null if closed.
 * Exit status: 0 after SIGTERM or SIGINT; 100 (EXIT_USAGE) for a usage
 * error or a configuration that a restart will not mend (the socket's
 * directory, the transcript); 111 (EXIT_TEMP) for a temporary one
 * (another broker on the socket, resources).  Start-up errors are one
 * line on stderr. */
#include "broker.h"
#include "cli.h"
#include "files.h"
#include "exitcode.h"
#include "io.h"
#include "log.h"
#include "store/store.h"
#include "xferproto.h"
#include "../supervisor/abspath.h"
#include "../supervisor/fatal.h"
#include "../supervisor/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __GLIBC__
#define OPTSTRING "+d:DF:hL:n:NO:p:P:q:R:s:SV"
#else
#define OPTSTRING "d:DF:hL:n:NO:p:P:q:R:s:SV"
#endif
#define QUEUE_MIN 4096
#define QUEUE_MAX (64 * 1024 * 1024)
#define PASSWORD_MAX 512 /* bytes of a Redis password, from a file */

static const char *log_name = "natter-broker";

static void usage(FILE *f)
{
	fprintf(f,
"usage: natter-broker [-DNS] [-d fd] [-F bytes] [-L transcript] [-n name]\n"
"                     [-O seconds] [-p fd] [-P pidfile] [-q bytes] [-R redis]\n"
"                     [-s statedir] [--] socket\n"
"       natter-broker -h | -V\n");
}

/* fds 0, 1 and 2 open, so no socket is given one of their numbers. */
static void std_fds_open(void)
{
	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != i)
			exit(EXIT_TEMP); /* cannot even report it */
	}
}

/* -D: once listening, the daemon's broker leaves the terminal: fds 0-2
 * on /dev/null, / as its directory, its log to syslog. */
static void leave_terminal(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int ok = fd >= 0 && chdir("/") == 0;
	for (int i = 0; i < 3 && ok; i++)
		ok = dup2(fd, i) == i;
	if (fd > 2)
		close(fd);
	if (!ok)
		log_msg(LOG_WARNING, "cannot leave the terminal: %s",
			strerror(errno));
	log_init(log_name, LOG_TO_SYSLOG);
}

static long number(char opt, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		fatal(EXIT_USAGE, "bad -%c value '%s' (a number from %ld to %ld)",
		      opt, s, min, max);
	return v;
}

/* -F BYTES: from 1 to XFER_SIZE_LIMIT. */
static unsigned long long file_max(const char *s)
{
	uint64_t v;
	if (xfer_parse_u64(s, strlen(s), &v) != 0 || v < 1 ||
	    v > XFER_SIZE_LIMIT)
		fatal(EXIT_USAGE, "bad -F value '%s' (bytes, from 1 to %llu)",
		      s, XFER_SIZE_LIMIT);
	return v;
}

/* -d FD: open, and not to be passed on. */
static int ready_fd(const char *s)
{
	int fd = (int)number('d', s, 3, INT_MAX);
	if (io_set_cloexec(fd) != 0)
		fatal_errno(EXIT_USAGE, "bad -d descriptor %d", fd);
	return fd;
}

/* A path the broker reopens after a chdir (-D), made absolute. */
static const char *absolute(const char *path, char *buf, size_t size)
{
	if (abspath_make(buf, size, path) != 0)
		fatal_errno(errno == ENAMETOOLONG ? EXIT_USAGE : EXIT_TEMP,
			    "%s", path);
	return buf;
}

/* The Redis password: the first line of $NATTER_REDIS_PASSWORD_FILE
 * (at most PASSWORD_MAX bytes), else $NATTER_REDIS_PASSWORD, else
 * NULL.  A file that cannot be read is a usage error. */
static const char *redis_password(void)
{
	static char pw[PASSWORD_MAX + 2];
	const char *file = getenv("NATTER_REDIS_PASSWORD_FILE");
	if (!file || !*file) {
		const char *env = getenv("NATTER_REDIS_PASSWORD");
		return env && *env ? env : NULL;
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal_errno(EXIT_USAGE, "Redis password file %s", file);
	size_t n = 0;
	ssize_t got = 1;
	while (n < sizeof pw - 1 &&
	       (got = io_read(fd, pw + n, sizeof pw - 1 - n)) > 0)
		n += (size_t)got; /* a file's reads may come short */
	int err = errno;
	close(fd);
	if (got < 0) {
		errno = err;
		fatal_errno(EXIT_USAGE, "Redis password file %s", file);
	}
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (strlen(pw) > PASSWORD_MAX || !pw[0])
		fatal(EXIT_USAGE, "Redis password file %s: empty, or a first "
		      "line over %d bytes", file, PASSWORD_MAX);
	return pw;
}

int main(int argc, char **argv)
{
	static char sock[PATH_MAX], transcript[PATH_MAX], state[PATH_MAX];
	struct broker_config bc = { .queue_max = BROKER_QUEUE_DEFAULT,
				    .ready_fd = -1, .parent_fd = -1 };
	const char *pidfile = NULL;
	int c, to_syslog = 0, daemon = 0;
	std_fds_open();
	fatal_set_name(log_name);
	opterr = 0;
	c = cli_long_option(argc, argv);
	if (c == 'h') {
		usage(stdout);
		return 0;
	}
	if (c == 'V')
		cli_version("natter-broker");
	while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
		switch (c) {
		case 'd': bc.ready_fd = ready_fd(optarg); break;
		case 'D': daemon = 1; break;
		case 'F': bc.file_max = file_max(optarg); break;
		case 'h': usage(stdout); return 0;
		case 'L': bc.transcript = absolute(optarg, transcript,
						   sizeof transcript); break;
		case 'n': log_name = optarg; fatal_set_name(optarg); break;
		case 'N': bc.no_history = 1; break;
		case 'O': files_set_open_s(number('O', optarg, XFER_OPEN_S_MIN,
						  XFER_OPEN_S_MAX)); break;
		case 'p': bc.parent_fd = ready_fd(optarg); break;
		case 'P': pidfile = optarg; break;
		case 'q': bc.queue_max = (size_t)number('q', optarg, QUEUE_MIN,
							QUEUE_MAX); break;
		case 'R': bc.redis = optarg; break;
		case 's': bc.state_dir = absolute(optarg, state,
						  sizeof state); break;
		case 'S': to_syslog = 1; break;
		case 'V': cli_version("natter-broker");
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	bc.socket_path = absolute(argv[optind], sock, sizeof sock);
	/* No state directory (no HOME): nothing is kept between logins. */
	if (!bc.state_dir && store_default_dir(state, sizeof state) == 0)
		bc.state_dir = state;
	if (bc.redis)
		bc.redis_password = redis_password();
	if (daemon)
		bc.on_ready = leave_terminal;
	log_init(log_name, to_syslog ? LOG_TO_SYSLOG : LOG_TO_STDERR);
	if (pidfile)
		pidfile_take(pidfile);
	int status = broker_run(&bc);
	pidfile_release();
	return status;
}
