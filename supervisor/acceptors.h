/* acceptors.h — the threads that accept connections, admit or refuse
 * them (limits.h) and start their handlers (spawn.h).
 *
 * Why threads: posix_spawn returns only once its child has exec'd
 * (until then the child runs in natterd's memory), and on a loaded
 * machine that wait was half of natterd's time per connection, with the
 * listener unattended and a core idle.  With ACCEPTORS threads, one
 * accepts while another waits for its child.  Measured on 2 cores
 * (BENCHMARKS.md): connections/s at 16 concurrent from 0.91 to about
 * 1.1 x tcpserver's, and no idle core.
 *
 * Each acceptor polls every listener (and a wake-up pipe), accepts up
 * to a batch, and holds the big lock (biglock.h) except while it polls
 * and while posix_spawn runs.  When accepting fails for want of
 * descriptors, memory or processes, all acceptors stop polling the
 * listeners for a pause that doubles from PAUSE_MIN_MS to PAUSE_MAX_MS
 * while it goes on. */
#ifndef NATTERD_ACCEPTORS_H
#define NATTERD_ACCEPTORS_H

#include "server.h"

#define ACCEPTORS 2

/* Starts the acceptors on p's listeners; called with the big lock held.
 * Returns 0, or -1 with errno set (nothing left running). */
int acceptors_start(const struct server_params *p);
/* Stops them and waits for them to end (the lock is let go meanwhile);
 * called with the lock held.  After it, no session is added. */
void acceptors_stop(void);
/* In a forked child (the broker): closes the acceptors' descriptors. */
void acceptors_forget(void);

#endif
