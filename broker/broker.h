/* broker.h — the process through which handlers talk to each other.
 *
 * natterd runs it as a supervised child (and restarts it if it dies);
 * `natterd -B` runs it alone in the foreground. */
#ifndef NATTER_BROKER_H
#define NATTER_BROKER_H

#include "exitcode.h"

#include <stddef.h>

#define BROKER_QUEUE_DEFAULT (256 * 1024) /* bytes queued per handler */

/* Exit statuses (lib/exitcode.h); the old names stay for natterd: */
#define BROKER_EXIT_USAGE EXIT_USAGE /* fix the configuration: the
					socket's directory, the transcript */
#define BROKER_EXIT_TEMP EXIT_TEMP   /* try again: another broker listens
					on the socket, resources ran out */

struct broker_config {
	const char *socket_path; /* listen here; its directory made 0700 */
	const char *transcript;  /* -L FILE: public messages appended, or NULL */
	size_t queue_max;        /* per-handler output bound, bytes;
				    0: BROKER_QUEUE_DEFAULT */
	int ready_fd;            /* -1, or where one byte is written once
				    the broker listens (then closed), so
				    whoever started it knows it serves */
	const char *state_dir;   /* NULL, or the state directory (absolute):
				    accounts' ignore lists and offline
				    messages (ignore.h, mailbox.h), bans
				    and topics (moderation.h), the room
				    logs (history.h); NULL: none kept */
	const char *redis;       /* NULL, or the Redis server (-R: HOST:PORT
				    or a socket path): the room logs are
				    shared there (store_redis.h) instead
				    of kept in state_dir */
	const char *redis_password; /* NULL, or Redis' password */
	unsigned long long file_max; /* -F: the largest file offered;
				    0: XFER_SIZE_DEFAULT (files.h) */
	int no_history;          /* -N: no room logs (history off), the
				    rest of state_dir kept all the same */
	void (*on_ready)(void);  /* NULL, or called once it listens, after
				    ready_fd: a daemon's broker moves its
				    log off the starter's terminal */
	int parent_fd;           /* -1 or 0: none; or a pipe's read end whose writer
				    is natterd alone: its end of file (natterd
				    gone, however it ended) stops the broker
				    as SIGTERM would */
};

/* Creates the socket's directory (mode 0700) if missing, removes a stale
 * socket, listens, and serves until SIGTERM or SIGINT; SIGHUP reopens
 * the transcript and the log.  Removes the socket on the way out.
 * The room logs are in cfg->state_dir, locked: a second broker on it
 * does not start (BROKER_EXIT_TEMP); one that cannot be used otherwise
 * is logged, and chat goes on without history.
 * Returns an exit status: 0 after a signal; BROKER_EXIT_USAGE or
 * BROKER_EXIT_TEMP when it could not start, the reason logged (without
 * writing to ready_fd, which it closes); BROKER_EXIT_TEMP when its event
 * loop failed.
 *
 * The caller has called log_init.  broker_run takes over SIGTERM, SIGINT
 * and SIGHUP (through lib/selfpipe, whose pipe it replaces: a pipe
 * inherited from a forking natterd is closed first), ignores SIGPIPE
 * and SIGXFSZ, and raises its RLIMIT_NOFILE soft limit to the hard
 * one. */
int broker_run(const struct broker_config *cfg);

#endif
