/* spawn.h — starting a connection's handler (launch.h says how the
 * process is made) with what it learns of its connection:
 *   - the socket on fds 0 and 1, every signal at its default, an empty
 *     mask (launch.h);
 *   - the environment: natterd's own, captured once by spawn_init,
 *     plus TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT for
 *     the connection, put first, and TCPREMOTEHOST when the peer's
 *     name is known (natterd -N, resolve.h).
 * A launcher has one struct spawn_env, where those four variables are
 * written for each connection. */
#ifndef NATTERD_SPAWN_H
#define NATTERD_SPAWN_H

#include <sys/types.h>

#include "addr.h"

/* Prepares for spawning path (absolute) with argv, the environment
 * being the current one (call it after the last setenv and the last
 * change to a signal's disposition).  Returns 0, or -1 with errno set. */
int spawn_init(const char *path, char *const argv[]);
struct spawn_env;
/* A launcher's environment (after spawn_init); NULL when memory
 * ran out. */
struct spawn_env *spawn_env_new(void);
void spawn_env_free(struct spawn_env *e);
/* Starts the handler on connection fd (fd > 2) from remote to local
 * (host: the remote's name, or NULL).
 * Returns its pid, or -1 with errno set, as launch() does.  */
pid_t spawn_handler(struct spawn_env *e, int fd,
		    const struct endpoint *remote, const struct endpoint *local,
		    const char *host);

#endif
