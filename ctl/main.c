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
 *   one per line (who, stats and status: tab-separated fields; metrics:
 *   status in the Prometheus text format), or the broker's refusal on
 *   stderr as "natterctl: TEXT" (so is who's note of the people of
 *   other hosts left out past its bound, with exit status 0).
 * Exit status: 0 done; 1 the broker refused the command (no such
 * user, a bad duration...); 100 bad usage; 111 no broker there, not
 * ours (another user's), too old, or it went away or did not answer
 * within CTL_WAIT_MS. */
#include "cli.h"
#include "exitcode.h"
#include "frame.h"
#include "io.h"
#include "paths.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_WAIT_MS 10000

static const char *const commands[] = {
	"who", "stats", "status", "metrics", "kick", "ban", "unban", "bans",
	"mute", "unmute", "wall", NULL
};

static void usage(FILE *to)
{
	fprintf(to, "usage: natterctl [-s socket] command [argument ...]\n"
		"       natterctl -h | -V\n"
		"commands: who, status, metrics, stats, bans, kick NAME [reason],\n"
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
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "natterctl: no broker at %s: %s\n", path,
			strerror(errno));
		exit(EXIT_TEMP);
	}
	/* The broker serves its own uid only and closes on anyone else:
	 * say so rather than "closed" (the socket is its owner's). */
	struct stat st;
	if (stat(path, &st) == 0 && st.st_uid != geteuid()) {
		fprintf(stderr, "natterctl: the broker at %s is another user's "
			"(uid %ld); run natterctl as that user\n", path,
			(long)st.st_uid);
		exit(EXIT_TEMP);
	}
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

/* Prometheus' text exposition format for status's lines: the
 * metric, its type and help, and the label its line carries first. */
struct metric {
	const char *key, *name, *type, *label, *help;
};

static const struct metric metrics[] = {
	{ "uptime_seconds", "natter_uptime_seconds", "gauge", NULL,
	  "Seconds since the broker started." },
	{ "people", "natter_people", "gauge", NULL, "People logged in." },
	{ "hosts", "natter_hosts", "gauge", NULL,
	  "Other hosts sharing the Redis known here (-R)." },
	{ "people_elsewhere", "natter_people_elsewhere", "gauge", NULL,
	  "People logged in on the other hosts known here (-R)." },
	{ "room", "natter_room_people", "gauge", "room",
	  "People logged in, per room." },
	{ "sessions_started", "natter_sessions_started_total", "counter",
	  NULL, "Log-ins accepted (not counting rejoins)." },
	{ "rejoins", "natter_rejoins_total", "counter", NULL,
	  "Sessions that logged in again after a broker restart." },
	{ "takeovers", "natter_takeovers_total", "counter", NULL,
	  "Log-ins with a password that ended an older session." },
	{ "refused", "natter_logins_refused_total", "counter", "reason",
	  "Log-ins refused by the broker, by reason." },
	{ "cut_off", "natter_cut_off_total", "counter", NULL,
	  "Sessions cut off for falling too far behind." },
	{ "kicks", "natter_kicks_total", "counter", NULL, "Kicks." },
	{ "bans", "natter_bans_total", "counter", NULL, "Bans made." },
	{ "bans_in_force", "natter_bans_in_force", "gauge", NULL,
	  "Bans kept (some may have run out)." },
	{ "lines", "natter_lines_total", "counter", NULL,
	  "Public lines and actions said." },
	{ "lines_muted", "natter_lines_muted_total", "counter", NULL,
	  "Lines of muted people, which reached nobody." },
	{ "lines_per_second", "natter_lines_per_second", "gauge", NULL,
	  "Public lines a second over the last minute." },
};

/* A label's value with \, " and newline escaped. */
static void put_label(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '"')
			putchar('\\');
		if (s[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(s[i]);
	}
}

/* One status line "key [label] value" as a sample; HELP and TYPE before
 * a metric's first sample.  Unknown keys (a newer broker's) are left
 * out. */
static void metric_line(const char *t, size_t len)
{
	static const struct metric *last;
	const char *sp = memchr(t, ' ', len), *lab = NULL;
	size_t klen = sp ? (size_t)(sp - t) : len, lablen = 0;
	const struct metric *m = NULL;
	for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
		if (strlen(metrics[i].key) == klen &&
		    memcmp(metrics[i].key, t, klen) == 0)
			m = &metrics[i];
	if (!m || !sp)
		return;
	const char *v = sp + 1, *end = t + len;
	if (m->label) {
		lab = v;
		const char *sp2 = memchr(v, ' ', (size_t)(end - v));
		if (!sp2)
			return;
		lablen = (size_t)(sp2 - v);
		v = sp2 + 1;
	}
	if (m != last)
		printf("# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
		       m->name, m->type);
	last = m;
	fputs(m->name, stdout);
	if (lab) {
		printf("{%s=\"", m->label);
		put_label(lab, lablen);
		fputs("\"}", stdout);
	}
	printf(" %.*s\n", (int)(end - v), v);
}

enum shape { PLAIN, TABLE, METRICS };

/* Prints the reply's lines: as they are, with tabs for the spaces
 * between fields (TABLE: who, stats, status; no field holds a space;
 * not in what goes to stderr, which is text),
 * or as metrics; returns the exit status. */
static int reply(int fd, enum shape shape)
{
	int table = shape != PLAIN;
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
		if (table && (f.flags & FRAME_LAST) &&
		    ends_with(&f, " not listed.")) /* who's, past its bound */
			to = stderr;
		if (shape == METRICS && f.type == FRAME_INFO) {
			metric_line(f.text, f.textlen);
			continue;
		}
		fputs(to == stderr ? "natterctl: " : "", to);
		for (size_t i = 0; i < f.textlen; i++)
			fputc(table && to == stdout && f.text[i] == ' ' ? '\t' :
			      f.text[i], to);
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
	signal(SIGPIPE, SIG_IGN); /* a closed broker: an error, not death */
	if (cli_long_option(argc, argv) == 'h') {
		usage(stdout);
		return 0;
	}
	if (cli_long_option(argc, argv) == 'V')
		cli_version("natterctl");
	while ((c = getopt(argc, argv, "+hs:V")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'V')
			cli_version("natterctl");
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
			   strcmp(cmd, "bans") && strcmp(cmd, "wall") &&
			   strcmp(cmd, "status") && strcmp(cmd, "metrics");
	enum shape shape = !strcmp(cmd, "metrics") ? METRICS :
			   !strcmp(cmd, "who") || !strcmp(cmd, "stats") ||
			   !strcmp(cmd, "status") ? TABLE : PLAIN;
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
	    NATTER_PROTOCOL_OF(f.flags) < NATTER_PROTOCOL_BROKER_MIN)
		fail(EXIT_TEMP, "%s", "the broker is too old for natterctl");
	send_frame(fd, FRAME_MOD, 0, shape == METRICS ? "status" : cmd, target,
		   text);
	return reply(fd, shape);
}
