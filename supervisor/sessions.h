/* sessions.h — the running handler processes, one per connection. */
#ifndef NATTERD_SESSIONS_H
#define NATTERD_SESSIONS_H

#include <sys/types.h>

#include "addr.h"

/* Room for max sessions (the -c limit).  Returns 0, or -1 (memory). */
int sessions_init(unsigned max);
unsigned sessions_count(void);
/* Records a started handler; returns -1 when the table is full (the
 * caller checks the limit first, so that does not happen). */
int sessions_add(pid_t pid, int source, long long now_ms, const char *peer);
/* Ends the session of pid, if it is one: logs its end (peer, pid, exit
 * status or signal, duration) and releases its source.  Returns 1 if
 * pid was a session, 0 if not. */
int sessions_end(pid_t pid, int status, long long now_ms);
/* Sends sig to every session. */
void sessions_signal(int sig);

#endif
