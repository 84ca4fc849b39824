/* server.h — natterd serving: acceptor threads take the connections
 * (acceptors.h); the main thread polls the signal pipe, reaps, restarts
 * the broker and runs the stop. */
#ifndef NATTERD_SERVER_H
#define NATTERD_SERVER_H

#include "listen.h"

#define PAUSE_MIN_MS 100    /* first pause after EMFILE, ENFILE, fork... */
#define PAUSE_MAX_MS 2000   /* doubling up to this while it goes on */
#define STOP_WAIT_MS 2000   /* after SIGKILL, and for the broker */

struct server_params {
	struct listeners *ls;
	const char *handler_path;    /* absolute */
	char *const *handler_argv;
	unsigned grace_seconds;      /* -t */
};

/* Serves until SIGTERM or SIGINT, then ends the sessions and the
 * broker (see natterd(8)).  sigfd is the selfpipe.  Returns 0, or
 * EXIT_TEMP if the acceptor threads could not start. */
int server_run(const struct server_params *p, int sigfd);

#endif
