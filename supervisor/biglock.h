/* biglock.h — the one mutex of natterd's threads.
 *
 * natterd has a main thread (signals, reaping, the broker, stopping)
 * and acceptor threads (acceptors.h).  Everything they share
 * (the session table, the per-source limits, the pause and refusal
 * state, the log) is used only with this lock held, and each thread
 * holds it all the time except while it waits in poll(2) and, for an
 * acceptor, while it waits for its turn and while posix_spawn starts a
 * handler.  So when the main
 * thread forks the broker (holding the lock), no other thread is in
 * the middle of log_msg, syslog(3) or anything else whose state the
 * broker would inherit half-changed. */
#ifndef NATTERD_BIGLOCK_H
#define NATTERD_BIGLOCK_H

void biglock_take(void);
void biglock_give(void);

#endif
