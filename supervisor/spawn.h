/* spawn.h — starting a connection's handler with posix_spawn(3).
 *
 * posix_spawn rather than fork: glibc, musl and the BSDs start the
 * child without copying natterd's page tables (vfork-like), and that
 * copy, with the copy-on-write faults after it, was most of what a
 * connection cost natterd.  So nothing is done in the child but what
 * posix_spawn does itself, all prepared in natterd beforehand:
 *   - the socket dup2'd onto fds 0 and 1 (every other descriptor of
 *     natterd is close-on-exec; fd 2 stays natterd's log);
 *   - every signal's default disposition, and an empty signal mask;
 *   - the environment: natterd's own, captured once by spawn_init,
 *     plus TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT for
 *     the connection, put first.
 * Each thread that spawns has its own struct spawn_env, where those
 * four variables are written for each connection. */
#ifndef NATTERD_SPAWN_H
#define NATTERD_SPAWN_H

#include <sys/types.h>

#include "addr.h"

/* Prepares for spawning path (absolute) with argv, the environment
 * being the current one (call it after the last setenv).  Returns 0,
 * or -1 with errno set. */
int spawn_init(const char *path, char *const argv[]);
struct spawn_env;
/* A spawning thread's environment (after spawn_init); NULL when memory
 * ran out. */
struct spawn_env *spawn_env_new(void);
void spawn_env_free(struct spawn_env *e);
/* Starts the handler on connection fd (fd > 2) from remote to local.
 * Returns its pid, or -1 with errno set: the process could not be made
 * (EAGAIN, ENOMEM) or, where posix_spawn reports it (glibc, musl, the
 * BSDs), the program could not be executed (ENOENT, EACCES...); no
 * child is left then.  Needs no lock: an acceptor calls it between
 * biglock_spawn_begin and biglock_spawn_end, with the lock let go. */
pid_t spawn_handler(struct spawn_env *e, int fd,
		    const struct endpoint *remote, const struct endpoint *local);

#endif
