/* server.h — natterd serving: one thread, one poll loop over the
 * signal pipe, the launchers' sockets (launchers.h) and, while a
 * launcher has room, the listeners (admit.h); it restarts the broker
 * and the launchers and runs the stop. */
#ifndef NATTERD_SERVER_H
#define NATTERD_SERVER_H

#include "launchers.h"
#include "listen.h"

#define PAUSE_MIN_MS 100    /* first pause after EMFILE, ENFILE, fork... */
#define PAUSE_MAX_MS 2000   /* doubling up to this while it goes on */
#define PAUSE_LOG_MS 10000  /* a pause episode logged at most this often */
#define STOP_WAIT_MS 2000   /* after SIGKILL, and for the broker */

struct server_params {
	struct listeners *ls;
	const char *handler_path;    /* absolute */
	char *const *handler_argv;
	unsigned grace_seconds;      /* -t */
	void (*close_fn)(void);      /* in a new launcher: see launchers.h */
	int resume;                  /* take the launchers over (upgrade.h) */
};

/* Serves until SIGTERM or SIGINT, then ends the sessions, the
 * launchers and the broker (see natterd(8)).  sigfd is the selfpipe.
 * Returns 0, or EXIT_TEMP if no launcher could start. */
int server_run(const struct server_params *p, int sigfd);

#endif
