/* sessions.h — the running handler processes, one per connection. */
#ifndef NATTERD_SESSIONS_H
#define NATTERD_SESSIONS_H

#include <sys/types.h>

#include "addr.h"

/* Room for max sessions (the -c limit).  Returns 0, or -1 (memory). */
int sessions_init(unsigned max);
/* Sessions recorded (open). */
unsigned sessions_count(void);
/* Sessions open plus handlers being started: what the -c limit counts. */
unsigned sessions_in_use(void);
/* A handler is about to be started (outside the lock, see biglock.h):
 * it counts against the limit from now, and until sessions_add or
 * sessions_unreserve an exit reaped for an unknown pid may be its. */
void sessions_reserve(void);
/* The reserved handler could not be started. */
void sessions_unreserve(void);
/* Records a started handler, which was reserved.  If its exit was
 * reaped already (sessions_stash), the session ends at once (logged,
 * source released).  Returns -1 when the table is full or nothing was
 * reserved (the caller checks the limit first, so that does not
 * happen). */
int sessions_add(pid_t pid, int source, long long now_ms, const char *peer);
/* An exit reaped for pid, which is no session (yet): while handlers
 * are being started it may be one of theirs, reaped before
 * spawn_handler returned; it is kept for sessions_add.  Returns 1 if kept, 0 if pid
 * is not a session's (none is being started, or SESSIONS_EARLY_MAX are
 * kept already: more than threads that start handlers). */
#define SESSIONS_EARLY_MAX 16
int sessions_stash(pid_t pid, int status);
/* Ends the session of pid, if it is one: logs its end (peer, pid, exit
 * status or signal, duration) and releases its source.  Returns 1 if
 * pid was a session, 0 if not. */
int sessions_end(pid_t pid, int status, long long now_ms);
/* Sends sig to every session. */
void sessions_signal(int sig);

#endif
