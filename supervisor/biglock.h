/* biglock.h — the one mutex of natterd's threads, and the gate that
 * keeps the broker's fork apart from the start of a handler.
 *
 * natterd has a main thread (signals, reaping, the broker, stopping)
 * and acceptor threads (acceptors.h).  Everything they share (the
 * session table, the per-source limits, the pause and refusal state,
 * the log) is used only with this lock held, and each thread holds it
 * all the time except while it waits in poll(2) and, for an acceptor,
 * while it waits for its turn and while it starts a handler (launch.h).
 *
 * The lock alone does not make the broker's fork safe.  Acceptors hold
 * connections between accept and close, also while the lock is let go;
 * the broker, which never execs, would keep them open and their
 * clients would never see the close, so it closes them first thing
 * (acceptors_forget).  And on the posix_spawn path an acceptor in
 * spawn_handler may be in the middle of allocating its file actions,
 * or hold a pipe of the C library's own (musl: the acceptor would wait
 * on it for as long as a broker forked meanwhile lives); the vfork path
 * needs no gate, and costs it nothing.  So the main thread forks only
 * between biglock_fork_begin, which waits until no acceptor is in
 * spawn_handler and lets none start, and biglock_fork_end; an acceptor
 * calls biglock_spawn_begin and biglock_spawn_end around spawn_handler.
 * All four are called with the lock held. */
#ifndef NATTERD_BIGLOCK_H
#define NATTERD_BIGLOCK_H

void biglock_take(void);
void biglock_give(void);
void biglock_spawn_begin(void);
void biglock_spawn_end(void);
void biglock_fork_begin(void);
void biglock_fork_end(void);

#endif
