/* natterctl — control a running natter broker from the host's shell:
 * who is on, counters, kick, ban, mute, announce (see natterctl(8)).
 *
 * Contract:
 *   natterctl [-s socket] command [argument ...]
 *   natterctl -h
 *   It connects to the broker's UNIX socket (-s, else $NATTER_BROKER,
 *   else the default of lib/paths.h), which accepts only its own uid,
 *   announces itself with a CTL frame, sends one MOD frame
 *   (lib/natter-protocol.h) and prints the reply's lines on stdout,
 *   one per line (who and stats: tab-separated fields), or the
 *   broker's refusal on stderr as "natterctl: TEXT".
 * Exit status: 0 done; 1 the broker refused the command (no such
 * user, a bad duration...); 100 bad usage; 111 no broker there, not
 * ours (another user's), too old, or it went away or did not answer
 * within CTL_WAIT_MS. */
#include "exitcode.h"
#include "frame.h"
#include "io.h"
#include "paths.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_WAIT_MS 10000

static const char *const commands[] = {
	"who", "stats", "kick", "ban", "unban", "bans", "mute", "unmute",
	"wall", NULL
};

static void usage(FILE *to)
{
	fprintf(to, "usage: natterctl [-s socket] command [argument ...]\n"
		"       natterctl -h\n"
		"commands: who, stats, bans, kick NAME [reason],\n"
		"  ban NAME|ADDRESS[/PREFIX] [DURATION] [reason], unban "
		"TARGET,\n"
		"  mute NAME [DURATION], unmute NAME, wall TEXT\n");
}

_Noreturn static void fail(int code, const char *fmt, const char *what)
{
	fprintf(stderr, "natterctl: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	exit(code);
}

static int broker_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path)
		fail(EXIT_USAGE, "socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		fail(EXIT_TEMP, "no broker at %s", path);
	return fd;
}

/* Reads frames into buf until one is whole; handles it to *f.  The
 * frame's bytes stay valid until the next call. */
static void next_frame(int fd, struct frame *f)
{
	static char buf[2 * FRAME_MAX];
	static size_t len, used;
	memmove(buf, buf + used, len - used);
	len -= used;
	used = 0;
	for (;;) {
		int n = frame_decode(buf, len, f);
		if (n == FRAME_BAD)
			fail(EXIT_TEMP, "%s", "a bad frame from the broker");
		if (n > 0) {
			used = (size_t)n;
			return;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, CTL_WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail(EXIT_TEMP, "%s", "no answer from the broker");
		ssize_t got = io_read(fd, buf + len, sizeof buf - len);
		if (got <= 0)
			fail(EXIT_TEMP, "%s", "the broker closed the connection "
			     "(is it another user's?)");
		len += (size_t)got;
	}
}

static void send_frame(int fd, uint8_t type, uint8_t flags, const char *a,
		       const char *b, const char *text)
{
	static char out[FRAME_MAX];
	int n = frame_encode_str(out, type, flags, a, b, text);
	if (n < 0)
		fail(EXIT_USAGE, "%s", "an argument is too long");
	if (io_write_all(fd, out, (size_t)n, CTL_WAIT_MS) != 0)
		fail(EXIT_TEMP, "%s", "cannot write to the broker");
}

/* The words of argv from i on, joined by spaces, in buf. */
static const char *join(char **argv, int i, int argc, char *buf,
			size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (; i < argc; i++) {
		int n = snprintf(buf + len, size - len, "%s%s", len ? " " : "",
				 argv[i]);
		if (n < 0 || (size_t)n >= size - len)
			fail(EXIT_USAGE, "%s", "the text is too long");
		len += (size_t)n;
	}
	return buf;
}

static int ends_with(const struct frame *f, const char *s)
{
	size_t n = strlen(s);
	return f->textlen >= n && memcmp(f->text + f->textlen - n, s, n) == 0;
}

/* Prints the reply's lines, with tabs for the spaces between fields
 * when `table` (who, stats: no field holds a space); returns the exit
 * status. */
static int reply(int fd, int table)
{
	struct frame f;
	int status = EXIT_OK;
	do {
		next_frame(fd, &f);
		FILE *to = f.type == FRAME_ERR ? stderr : stdout;
		if (f.type == FRAME_ERR)
			status = 1;
		if (f.type == FRAME_KICK)
			fail(EXIT_TEMP, "cut off by the broker: %.200s", f.text);
		if (f.type != FRAME_INFO && f.type != FRAME_ERR)
			continue; /* nothing else is for a control program */
		if (table && (f.flags & FRAME_LAST) && ends_with(&f, " people."))
			continue; /* who's count: not a row */
		fputs(to == stderr ? "natterctl: " : "", to);
		for (size_t i = 0; i < f.textlen; i++)
			fputc(table && f.text[i] == ' ' ? '\t' : f.text[i], to);
		fputc('\n', to);
	} while (!(f.flags & FRAME_LAST));
	return status;
}

static int known(const char *cmd)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i], cmd) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static char text[FRAME_TEXT_MAX + 1];
	char path[4096];
	const char *opt = NULL;
	int c;
	opterr = 0;
	while ((c = getopt(argc, argv, "+hs:")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 's') {
			opt = optarg;
			continue;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc || !known(argv[optind])) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (broker_path(path, sizeof path, opt) != 0)
		fail(EXIT_USAGE, "%s", "socket path too long");
	const char *cmd = argv[optind++];
	const char *target = NULL;
	int needs_target = strcmp(cmd, "who") && strcmp(cmd, "stats") &&
			   strcmp(cmd, "bans") && strcmp(cmd, "wall");
	if (needs_target && optind < argc)
		target = argv[optind++];
	if ((needs_target && !target) || (!strcmp(cmd, "wall") && optind >= argc))
		fail(EXIT_USAGE, "%s: give its argument (see natterctl -h)", cmd);
	join(argv, optind, argc, text, sizeof text);
	int fd = broker_connect(path);
	send_frame(fd, FRAME_CTL, NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION),
		   "natterctl", NULL, NULL);
	struct frame f;
	next_frame(fd, &f);
	if (f.type != FRAME_OK ||
	    NATTER_PROTOCOL_OF(f.flags) < NATTER_PROTOCOL_MODERATION)
		fail(EXIT_TEMP, "%s", "the broker is too old for natterctl");
	send_frame(fd, FRAME_MOD, 0, cmd, target, text);
	return reply(fd, !strcmp(cmd, "who") || !strcmp(cmd, "stats"));
}
