/* config.h — natterd's settings, from its command line. */
#ifndef NATTERD_CONFIG_H
#define NATTERD_CONFIG_H

#include <stddef.h>

#define LISTEN_SPECS_MAX 16        /* -l options */
#define DEFAULT_LISTEN "localhost:4120"
#define DEFAULT_PORT "4120"
#define DEFAULT_MAX_SESSIONS 256   /* -c */
#define DEFAULT_MAX_PER_SOURCE 16  /* -p */
#define DEFAULT_RATE_BURST 20      /* -r 20/10 */
#define DEFAULT_RATE_SECONDS 10
#define DEFAULT_GRACE_SECONDS 5    /* -t */
#define MAX_SESSIONS_LIMIT 65536   /* the largest -c accepted */

#include "exitcode.h"   /* EXIT_USAGE, EXIT_TEMP */

struct config {
	const char *listen[LISTEN_SPECS_MAX];
	int nlisten;
	const char *dgram[LISTEN_SPECS_MAX]; /* -l udp:...: dgram.h */
	int ndgram;
	const char *broker_socket;  /* -s; NULL: broker_default_path */
	const char *transcript;     /* -L */
	const char *pidfile;        /* -P; NULL: none (-f) or the default */
	const char *user;           /* -u */
	const char *users_file;     /* -U */
	const char *motd_file;      /* -M */
	const char *rules_file;     /* -x: address rules (rulefile.h) */
	const char *state_dir;      /* -D; NULL: the default (store.h) */
	const char *redis;          /* -R: rooms shared in this Redis */
	int no_history;             /* -N: the broker keeps no room logs */
	const char *file_max;       /* -S: the largest file offered (bytes,
				       checked); NULL: the broker's default */
	const char *offer_open;     /* -O: seconds an offer stays open
				       (checked); NULL: the broker's default */
	int history_lines;          /* -H; -1: the session's default */
	int foreground;             /* -f */
	int broker_only;            /* -B */
	int resolve_names;          /* -N: resolve.h */
	int limit_loopback;         /* -A: per-source limits on loopback too */
	unsigned max_sessions;      /* -c */
	unsigned max_per_source;    /* -p; 0: no limit */
	unsigned rate_burst;        /* -r BURST/SECONDS; 0: no limit */
	unsigned rate_seconds;
	unsigned grace_seconds;     /* -t */
	char **handler_argv;        /* after --; NULL: natter-session */
};

/* Fills cfg from argv, or prints a one-line error and exits EXIT_USAGE
 * (-h prints the usage and exits 0, -V the version). */
void config_parse(struct config *cfg, int argc, char **argv);
void config_usage(void *stream);

#endif
