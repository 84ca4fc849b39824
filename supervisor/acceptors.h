/* acceptors.h — the threads that accept connections, admit or refuse
 * them (limits.h) and start their handlers (spawn.h).
 *
 * Why threads: vfork and posix_spawn (launch.h) return only once the
 * child has exec'd (until then it runs in natterd's memory), and on a loaded
 * machine that wait was half of natterd's time per connection, with the
 * listener unattended and a core idle.  Two acceptors per online
 * processor (at least 2, at most ACCEPTORS_MAX): on each core one can
 * run while another waits for its child.  Measured on 2 cores
 * (BENCHMARKS.md, connections/s at 16 concurrent over tcpserver's):
 * one thread 0.95, 2 acceptors 1.04, 3 1.09, 4 1.07-1.14, 6 1.09,
 * 8 1.05.
 *
 * The acceptors take turns: the one whose turn it is polls every
 * listener (and a wake-up pipe) and accepts one connection, then hands
 * the turn on and admits and starts that connection.  Each holds the
 * big lock (biglock.h) except while it waits for the turn, polls, or
 * starts a handler.  When accepting fails for want of descriptors,
 * memory or processes, the listeners are not polled for a pause that
 * doubles from PAUSE_MIN_MS to PAUSE_MAX_MS while it goes on. */
#ifndef NATTERD_ACCEPTORS_H
#define NATTERD_ACCEPTORS_H

#include "server.h"

#define ACCEPTORS_MAX 16

/* Starts the acceptors on p's listeners; called with the big lock held.
 * Returns 0, or -1 with errno set (nothing left running). */
int acceptors_start(const struct server_params *p);
/* Stops them and waits for them to end (the lock is let go meanwhile);
 * called with the lock held.  After it, no session is added. */
void acceptors_stop(void);
/* In a forked child (the broker): closes the acceptors' descriptors,
 * the connections they had in hand included. */
void acceptors_forget(void);

#endif
