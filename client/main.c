/* natter — the chat client.
 *
 *   natter [-4 | -6] [-d DIR] [-L KBPS] [-u NAME [-p FILE | -P FD]]
 *          [HOST [PORT]]
 *
 * Connects to a natter server (default localhost, port 4120) and is
 * the person's terminal to it: with a terminal on fds 0 and 1, one process
 * polls the keyboard and the socket, keeping the line being typed whole
 * below arriving messages (interactive.c); otherwise it sends fd 0's
 * lines and writes what comes back to fd 1 (scripted.c).  The client
 * adds comfort, never protocol: the server sees what telnet would send.
 *
 * Files (/send, /accept: cfiles.h) are downloaded into -d DIR (default
 * the current directory) and sent at most -L KBPS kilobytes (1024
 * bytes) a second (default: no limit).
 *
 * Descriptors: 0 keyboard or script, 1 display, 2 one-line errors.
 * Environment: NATTER_PASSWORD, the password for -u when neither -p
 * nor -P is given.
 * Exit: 0 ended normally, 1 usage, 2 could not resolve or connect,
 * 3 login failed, 4 connection or output lost, 128+N signal N. */
#include "cfiles.h"
#include "cli.h"
#include "client.h"
#include "cnet.h"
#include "password.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_HOST "localhost"
#define DEFAULT_PORT "4120"

struct options {
	int family;
	const char *dir;
	long rate;
	const char *host, *port, *name;
	const char *pw_file;
	int pw_fd;
};

static void usage(FILE *to)
{
	fprintf(to, "usage: natter [-4 | -6] [-d DIR] [-L KBPS] "
		"[-u NAME [-p FILE | -P FD]]\n              [HOST [PORT]]\n"
		"       natter -h | -V\n");
}

static void usage_error(const char *msg)
{
	fprintf(stderr, "natter: %s\n", msg);
	usage(stderr);
	exit(NATTER_EXIT_USAGE);
}

static void bad_option(int c)
{
	char msg[60];
	usage_error(cli_option_problem(c, optopt, msg, sizeof msg));
}

static int parse_fd(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
		usage_error("-P needs a descriptor number");
	return (int)v;
}

static long parse_rate(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 1000000)
		usage_error("-L needs kilobytes a second, 1 to 1000000");
	return v * 1024;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;
	memset(o, 0, sizeof *o);
	o->family = AF_UNSPEC;
	o->pw_fd = -1;
	o->dir = ".";
	opterr = 0;
	c = cli_long_option(argc, argv);
	if (c == 'h') {
		usage(stdout);
		exit(NATTER_EXIT_OK);
	}
	if (c == 'V')
		cli_version("natter");
	while ((c = getopt(argc, argv, ":46d:hL:u:p:P:V")) != -1) {
		switch (c) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC)
				usage_error("give only one of -4 and -6");
			o->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'd': o->dir = optarg; break;
		case 'L': o->rate = parse_rate(optarg); break;
		case 'h':
			usage(stdout);
			exit(NATTER_EXIT_OK);
		case 'u':
			if (!name_valid(optarg, strlen(optarg)))
				usage_error("names are 1 to 16 letters, "
					    "digits, _ or -");
			o->name = optarg;
			break;
		case 'p': o->pw_file = optarg; break;
		case 'P': o->pw_fd = parse_fd(optarg); break;
		case 'V': cli_version("natter");
		default:
			bad_option(c);
		}
	}
	if (o->pw_file && o->pw_fd >= 0)
		usage_error("give only one of -p and -P");
	if ((o->pw_file || o->pw_fd >= 0) && !o->name)
		usage_error("-p and -P need -u");
	if (argc - optind > 2)
		usage_error("too many arguments");
	o->host = optind < argc ? argv[optind] : DEFAULT_HOST;
	o->port = optind + 1 < argc ? argv[optind + 1] : DEFAULT_PORT;
}

/* Fills s's password from -p, -P or the environment, if any. */
static void load_password(const struct options *o, struct csess *s)
{
	char err[200];
	int r = 0;
	if (o->pw_file) {
		r = password_from_file(o->pw_file, s->password,
				       sizeof s->password, err, sizeof err);
	} else if (o->pw_fd >= 0) {
		r = password_from_fd(o->pw_fd, s->password,
				     sizeof s->password, err, sizeof err);
		if (r == 0 && o->pw_fd > 2 && close(o->pw_fd) != 0) {
			snprintf(err, sizeof err, "cannot close descriptor "
				 "%d: %s", o->pw_fd, strerror(errno));
			r = -1;
		}
	} else {
		const char *env = getenv(PASSWORD_ENV);
		if (!env)
			return;
		if (strlen(env) >= sizeof s->password) {
			snprintf(err, sizeof err, "%s is longer than %d bytes",
				 PASSWORD_ENV, CSESS_PASSWORD_MAX);
			r = -1;
		} else {
			memcpy(s->password, env, strlen(env) + 1);
		}
	}
	if (r != 0) {
		fprintf(stderr, "natter: %s\n", err);
		exit(NATTER_EXIT_USAGE);
	}
	s->have_password = 1;
}

int main(int argc, char **argv)
{
	struct options o;
	static struct csess s; /* large: kept off the stack */
	static struct cfiles files;
	char err[300];

	parse_options(argc, argv, &o);
	/* Both ends at a terminal, or no drawing: with output redirected,
	 * cursor movements would only litter a file. */
	int interactive = isatty(0) && isatty(1);
	csess_init(&s, -1, interactive);
	if (o.name) {
		s.auto_name = o.name;
		load_password(&o, &s);
	}
	/* Writes to a closed socket or pipe give EPIPE, handled in place. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "natter: signal: %s\n", strerror(errno));
		return NATTER_EXIT_USAGE;
	}
	/* Downloads land here (cxfer.h): opened once, so a later chdir or
	 * rename of the path changes nothing. */
	int dir = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		fprintf(stderr, "natter: download directory %s: %s\n", o.dir,
			strerror(errno));
		csess_free(&s);
		return NATTER_EXIT_USAGE;
	}
	cfiles_init(&files, o.host, o.port, o.family, o.dir, dir, o.rate);
	s.files = &files;
	s.sock = cnet_connect(o.host, o.port, o.family, err, sizeof err);
	if (s.sock < 0) {
		fprintf(stderr, "natter: %s\n", err);
		csess_free(&s);
		return NATTER_EXIT_CONNECT;
	}
	int status = interactive ? client_interactive(&s)
				 : client_scripted(&s);
	if (close(s.sock) != 0 && status == NATTER_EXIT_OK)
		status = NATTER_EXIT_LOST;
	csess_free(&s);
	return status;
}
