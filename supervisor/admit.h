/* admit.h — taking connections: accept, the limits (limits.h), a
 * refusal line or a start handed to a launcher (launchers.h), and what
 * natterd does with the launchers' answers.
 *
 * The listeners are polled only while a launcher has room and no pause
 * is on.  When accepting fails for want of descriptors or memory, or a
 * handler cannot be started (no processes, the program gone), the
 * listeners are not polled for a pause that doubles from PAUSE_MIN_MS
 * to PAUSE_MAX_MS while it goes on; the trouble is logged once per
 * episode, and at most once in PAUSE_LOG_MS, with the count of the
 * episodes not logged (at the limit, every session's end makes one).  Refusals reach the log at most REFUSALS_LOGGED_PER_S a
 * second (lib/ratelog.h). */
#ifndef NATTERD_ADMIT_H
#define NATTERD_ADMIT_H

#include <poll.h>

#include "launchers.h"
#include "listen.h"

#define REFUSALS_LOGGED_PER_S 10
#define ACCEPTS_PER_WAKEUP 64  /* then the loop reads its launchers */

struct admit_params {
	struct listeners *ls;
	const char *handler_path;   /* for "cannot run PATH" */
};

void admit_init(const struct admit_params *p);
/* Admits connection fd, accepted on listener li, as from peer, made to
 * local (NULL: the socket's own local address), or refuses it. */
void admit_serve(int fd, int li, const struct sockaddr *peer,
		 const struct sockaddr *local, long long now);
/* What the launchers report is acted on here. */
extern const struct launcher_events admit_events;
/* Fills pfd with the listeners if they are to be polled now; returns
 * how many. */
int admit_pollfds(struct pollfd *pfd, long long now);
/* Accepts from the listeners pfd says are ready. */
void admit_ready(const struct pollfd *pfd, int n, long long now);
/* Milliseconds until a pause ends or a refusal count is owed, or -1. */
long long admit_due(long long now);
/* Logs a refusal count that is owed. */
void admit_tick(long long now);
/* natterd is stopping: the listeners closed, and a handler that a
 * launcher starts from now is sent SIGTERM at once. */
void admit_stop(void);
/* on: the listeners are not polled (the upgrade, upgrade.h); off:
 * again. */
void admit_hold(int on);

#endif
