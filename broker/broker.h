/* broker.h — the process through which handlers talk to each other.
 *
 * natterd runs it as a supervised child (and restarts it if it dies);
 * `natterd -B` runs it alone in the foreground. */
#ifndef NATTER_BROKER_H
#define NATTER_BROKER_H

#include <stddef.h>

#define BROKER_QUEUE_DEFAULT (256 * 1024) /* bytes queued per handler */

struct broker_config {
	const char *socket_path; /* listen here; its directory made 0700 */
	const char *transcript;  /* -L FILE: public messages appended, or NULL */
	size_t queue_max;        /* per-handler output bound, bytes;
				    0: BROKER_QUEUE_DEFAULT */
};

/* Creates the socket's directory (mode 0700) if missing, removes a stale
 * socket, listens, and serves until SIGTERM or SIGINT; SIGHUP reopens
 * the transcript and the log.  Removes the socket on the way out.
 * Returns an exit status: 0 after a signal, 1 when it could not start
 * or its event loop failed (the reason logged).
 *
 * The caller has called log_init.  broker_run takes over SIGTERM, SIGINT
 * and SIGHUP (through lib/selfpipe, whose pipe it replaces: a pipe
 * inherited from a forking natterd is closed first), ignores SIGPIPE,
 * and raises its RLIMIT_NOFILE soft limit to the hard one. */
int broker_run(const struct broker_config *cfg);

#endif
