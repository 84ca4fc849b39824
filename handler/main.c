/* natter-session — one person's chat session (see natter-session(8)).
 *
 * Contract:
 *   fd 0, fd 1  the person: a socket (inetd, tcpserver, natterd), a
 *               terminal or pipes.  Telnet commands are stripped and
 *               answered on a socket; output lines end in CR LF.
 *   fd 2        the log when NATTER_LOG=stderr, unless it is the same
 *               socket as fd 0 (inetd): then syslog.
 *   -n NAME     logs the person in as NAME, no ID or PW: for an ssh
 *               forced command (sshd has authenticated the key), and
 *               refused (exit 100) where a network peer reaches fds 0/1
 *               directly (network_reason).
 *   environment NATTER_BROKER, NATTER_USERS, NATTER_MOTD, NATTER_LOG,
 *               NATTER_HISTORY (lines replayed on entering a room; -H),
 *               TCPREMOTEIP/TCPREMOTEPORT, REMOTE_ADDR/REMOTE_PORT,
 *               REMOTE_HOST, SSH_CLIENT (the person's address, for
 *               logs; see peer.h).
 *   exit        0 the session ended (however the person left, timed
 *               out, was refused or the server shut down);
 *               100 bad usage; 111 temporary failure (no broker, lost
 *               for good, users file unreadable). */
#include "session.h"
#include "cli.h"
#include "exitcode.h"
#include "log.h"
#include "keepalive.h"
#include "names.h"
#include "natter-protocol.h"
#include "paths.h"
#include "../supervisor/proctitle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_LOGIN_TIMEOUT 30
#define DEFAULT_RECONNECT_LIMIT 30
#define DEFAULT_RATE 5
#define DEFAULT_BURST 10

#define USAGE "usage: natter-session [-hmV] [-b broker_socket] " \
	"[-H history_lines] [-i idle_seconds] [-M motd_file] [-n name] " \
	"[-R reconnect_seconds] " \
	"[-r lines_per_second] [-t login_seconds] [-U users_file]"

static void usage(void)
{
	log_msg(LOG_ERR, "%s", USAGE);
	exit(EXIT_USAGE);
}

/* -h is asked for by an operator at a shell, so it alone answers on
 * standard output rather than in the log. */
static void help(void)
{
	if (printf("%s\n", USAGE) < 0 || fflush(stdout) != 0)
		exit(EXIT_USAGE);
	exit(0);
}

/* Whether fds a and b are the same file (inetd passes the socket as
 * fd 2 too; the person must never see the log). */
static int same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void setup_log(void)
{
	const char *want = getenv("NATTER_LOG");
	struct stat st;
	int to_stderr;
	if (want && strcmp(want, "stderr") == 0)
		to_stderr = 1;
	else if (want && strcmp(want, "syslog") == 0)
		to_stderr = 0;
	else
		to_stderr = isatty(2);
	if (fstat(2, &st) != 0 || (S_ISSOCK(st.st_mode) && same_file(0, 2)))
		to_stderr = 0;
	log_init("natter-session", to_stderr ? LOG_TO_STDERR : LOG_TO_SYSLOG);
}

static int number(const char *arg, int min, int max)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		log_msg(LOG_ERR, "bad number \"%s\" (%d to %d)", arg, min,
			max);
		usage();
	}
	return (int)v;
}

/* Why -n must be refused here, or NULL: a person who reaches fds 0/1
 * straight from the network (natterd, tcpserver, inetd, xinetd,
 * systemd's Accept=yes) was authenticated by no one, and would pick
 * their own name.  Under sshd fds 0/1 are pipes or a terminal. */
static const char *network_reason(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getenv("PROTO"))
		return "PROTO is set (natterd, tcpserver)";
	if (getenv("TCPREMOTEIP"))
		return "TCPREMOTEIP is set (a UCSPI server)";
	if (getsockname(0, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		return "fd 0 is a TCP connection (inetd, xinetd, systemd)";
	return NULL;
}

/* -n NAME: a valid name, where no network peer could be choosing it. */
static const char *fixed_name(const char *name)
{
	const char *why = network_reason();
	if (!name_valid(name, strlen(name))) {
		log_msg(LOG_ERR, "bad -n name \"%.*s\": names are 1 to 16 "
			"letters, digits, _ or -", NAME_LEN_MAX + 1, name);
		usage();
	}
	if (why) {
		log_msg(LOG_ERR, "-n %s refused: %s, so the peer could choose "
			"any name (-n is for an ssh forced command)", name, why);
		exit(EXIT_USAGE);
	}
	return name;
}

static const char *env_path(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
	proctitle_init(argc, argv);
	static struct session_config cfg;
	const char *broker = NULL;
	int c;
	setup_log();
	opterr = 0; /* fd 2 may be the person's socket: errors go to the log */
	cfg.users_path = env_path("NATTER_USERS");
	cfg.motd_path = env_path("NATTER_MOTD");
	cfg.login_timeout_s = DEFAULT_LOGIN_TIMEOUT;
	cfg.reconnect_limit_s = DEFAULT_RECONNECT_LIMIT;
	cfg.rate = DEFAULT_RATE;
	cfg.burst = DEFAULT_BURST;
	if (cli_long_option(argc, argv) == 'h')
		help();
	if (cli_long_option(argc, argv) == 'V')
		cli_version("natter-session");
	cfg.history_lines = HISTORY_DEFAULT;
	if (env_path("NATTER_HISTORY"))
		cfg.history_lines = number(getenv("NATTER_HISTORY"), 0,
					   HISTORY_MAX);
	while ((c = getopt(argc, argv, "b:hH:i:mM:n:R:r:t:U:V")) != -1) {
		switch (c) {
		case 'b': broker = optarg; break;
		case 'h': help(); break;
		case 'H': cfg.history_lines = number(optarg, 0, HISTORY_MAX);
			break;
		case 'i': cfg.idle_timeout_s = number(optarg, 0, 7 * 86400); break;
		case 'm': cfg.machine = 1; break;
		case 'M': cfg.motd_path = optarg; break;
		case 'n': cfg.fixed_name = fixed_name(optarg); break;
		case 'R': cfg.reconnect_limit_s = number(optarg, 0, 86400); break;
		case 'r': cfg.rate = number(optarg, 0, 1000); break;
		case 't': cfg.login_timeout_s = number(optarg, 1, 86400); break;
		case 'U': cfg.users_path = optarg; break;
		case 'V': cli_version("natter-session");
		case '?':
			log_msg(LOG_ERR, "unknown option -%c", optopt);
			usage();
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (broker_path(cfg.broker_path, sizeof cfg.broker_path, broker) != 0) {
		log_msg(LOG_ERR, "broker socket path too long");
		return EXIT_USAGE;
	}
	peer_describe(cfg.peer, sizeof cfg.peer);
	/* On a TCP socket, a vanished person frees the name within
	 * KEEPALIVE_BOUND_S; anything else (a pipe, a terminal, a UNIX
	 * socket) says no, and that is fine. */
	(void)keepalive_set(0);
	return session_run(&cfg);
}
