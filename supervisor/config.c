/* config.c — natterd's command line. */
#include "config.h"
#include "xferproto.h"
#include "cli.h"
#include "fatal.h"
#include "natter-protocol.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's getopt would otherwise permute, taking a handler's own
 * options (after a missing "--") for natterd's. */
#ifdef __GLIBC__
#define OPTSTRING "+ABc:D:fhH:l:L:M:nNO:p:P:r:R:s:S:t:u:U:Vx:"
#else
#define OPTSTRING "ABc:D:fhH:l:L:M:nNO:p:P:r:R:s:S:t:u:U:Vx:"
#endif

void config_usage(void *stream)
{
	fprintf(stream,
"usage: natterd [-fAnN] [-l [udp:]addr:port[=program]]... [-s socket]\n"
"               [-L transcript] [-D statedir] [-H lines] [-P pidfile]\n"
"               [-u user] [-U users] [-M motd] [-c max] [-p per-source]\n"
"               [-r burst/seconds] [-S file-bytes] [-O offer-seconds]\n"
"               [-t grace] [-x rules] [-R redis] [-- program [arg ...]]\n"
"       natterd -B [-fn] [-s socket] [-L transcript] [-D statedir]\n"
"               [-P pidfile] [-R redis] [-S file-bytes] [-O offer-seconds]\n"
"       natterd -h | -V\n");
}

/* A decimal number in [min, max], or a fatal usage error naming opt. */
static unsigned parse_uint(char opt, const char *s, unsigned min,
			   unsigned max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		fatal(EXIT_USAGE, "bad -%c value '%s' (a number from %u to %u)",
		      opt, s, min, max);
	return (unsigned)v;
}

/* -r BURST/SECONDS (the seconds may end in 's'), or 0 for no limit. */
static void parse_rate(struct config *cfg, const char *s)
{
	char buf[32], *slash;
	if (strcmp(s, "0") == 0) {
		cfg->rate_burst = 0;
		return;
	}
	if (strlen(s) >= sizeof buf)
		fatal(EXIT_USAGE, "bad -r value '%s' (burst/seconds, e.g. 20/10s)", s);
	snprintf(buf, sizeof buf, "%s", s); /* fits: checked above */
	slash = strchr(buf, '/');
	size_t len = strlen(buf);
	if (!slash || len < 3)
		fatal(EXIT_USAGE, "bad -r value '%s' (burst/seconds, e.g. 20/10s)", s);
	if (buf[len - 1] == 's')
		buf[len - 1] = '\0';
	*slash = '\0';
	cfg->rate_burst = parse_uint('r', buf, 1, 1000000);
	cfg->rate_seconds = parse_uint('r', slash + 1, 1, 86400);
}

/* -S: bytes, 1 to XFER_SIZE_LIMIT (checked here, passed on as given:
 * natter-broker -F enforces it). */
static const char *parse_bytes(char opt, const char *s)
{
	uint64_t v;
	if (xfer_parse_u64(s, strlen(s), &v) != 0 || v < 1 ||
	    v > XFER_SIZE_LIMIT)
		fatal(EXIT_USAGE, "bad -%c value '%s' (bytes, from 1 to %llu)",
		      opt, s, XFER_SIZE_LIMIT);
	return s;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_sessions = DEFAULT_MAX_SESSIONS;
	cfg->max_per_source = DEFAULT_MAX_PER_SOURCE;
	cfg->rate_burst = DEFAULT_RATE_BURST;
	cfg->rate_seconds = DEFAULT_RATE_SECONDS;
	cfg->grace_seconds = DEFAULT_GRACE_SECONDS;
	cfg->history_lines = -1;
}

static void parse_option(struct config *cfg, int c, const char *arg)
{
	switch (c) {
	case 'A': cfg->limit_loopback = 1; break;
	case 'B': cfg->broker_only = 1; break;
	case 'D': cfg->state_dir = arg; break;
	case 'H': cfg->history_lines = (int)parse_uint('H', arg, 0,
						       HISTORY_MAX); break;
	case 'c': cfg->max_sessions = parse_uint('c', arg, 1, MAX_SESSIONS_LIMIT); break;
	case 'f': cfg->foreground = 1; break;
	case 'l':
		if (cfg->nlisten + cfg->ndgram == LISTEN_SPECS_MAX)
			fatal(EXIT_USAGE, "too many -l options (at most %d)",
			      LISTEN_SPECS_MAX);
		if (strncmp(arg, "udp:", 4) == 0) /* dgram.h */
			cfg->dgram[cfg->ndgram++] = arg;
		else
			cfg->listen[cfg->nlisten++] = arg;
		break;
	case 'N': cfg->resolve_names = 1; break;
	case 'L': cfg->transcript = arg; break;
	case 'M': cfg->motd_file = arg; break;
	case 'n': cfg->no_history = 1; break;
	case 'O': /* checked here, passed on as given (natter-broker -O) */
		(void)parse_uint('O', arg, XFER_OPEN_S_MIN, XFER_OPEN_S_MAX);
		cfg->offer_open = arg;
		break;
	case 'p': cfg->max_per_source = parse_uint('p', arg, 0, MAX_SESSIONS_LIMIT); break;
	case 'P': cfg->pidfile = arg; break;
	case 'r': parse_rate(cfg, arg); break;
	case 'R': cfg->redis = arg; break;
	case 's': cfg->broker_socket = arg; break;
	case 'S': cfg->file_max = parse_bytes('S', arg); break;
	case 't': cfg->grace_seconds = parse_uint('t', arg, 0, 3600); break;
	case 'u': cfg->user = arg; break;
	case 'U': cfg->users_file = arg; break;
	case 'x': cfg->rules_file = arg; break;
	}
}

void config_parse(struct config *cfg, int argc, char **argv)
{
	int c;
	set_defaults(cfg);
	opterr = 0;
	if (cli_long_option(argc, argv) == 'h') {
		config_usage(stdout);
		exit(0);
	}
	if (cli_long_option(argc, argv) == 'V')
		cli_version("natterd");
	while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
		if (c == 'h') {
			config_usage(stdout);
			exit(0);
		}
		if (c == 'V')
			cli_version("natterd");
		if (c == '?' || c == ':') {
			if (strchr(OPTSTRING, optopt))
				fatal(EXIT_USAGE, "option -%c needs a value (see natterd -h)",
				      optopt);
			fatal(EXIT_USAGE, "unknown option -%c (see natterd -h)",
			      optopt > 32 && optopt < 127 ? optopt : '?');
		}
		parse_option(cfg, c, optarg);
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			fatal(EXIT_USAGE, "unexpected argument '%s' (give the "
			      "handler program after --)", argv[optind]);
		cfg->handler_argv = argv + optind;
	}
	if (cfg->nlisten == 0 && cfg->ndgram == 0)
		cfg->listen[cfg->nlisten++] = DEFAULT_LISTEN;
	if (cfg->broker_only && (cfg->handler_argv || cfg->user))
		fatal(EXIT_USAGE, "-B runs the broker alone: no handler, no -u");
}
