/* sessions.h — the connections natterd has handed to a launcher
 * (starts, until the launcher answers) and the handlers running for
 * them (sessions, until their launcher reports their end). */
#ifndef NATTERD_SESSIONS_H
#define NATTERD_SESSIONS_H

#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "launchers.h"

/* Starts waiting for an answer: at most one launcher's depth each. */
#define STARTS_MAX (LAUNCHERS_MAX * LAUNCHER_DEPTH)

/* A connection handed to a launcher; natterd keeps its copy of the
 * socket until the answer, to tell the peer "server busy" on FAILED. */
struct start {
	uint32_t id;
	int launcher;
	int fd;
	int source;              /* limits.h entry, or -1 */
	long long accepted_ms;
	char peer[ADDR_TEXT_MAX];
};

/* Room for max sessions (the -c limit).  Returns 0, or -1 (memory). */
int sessions_init(unsigned max);
/* Sessions running. */
unsigned sessions_count(void);
/* Sessions running plus starts: what the -c limit counts. */
unsigned sessions_in_use(void);
/* Records a start (id nonzero and unique among starts).  Returns 0,
 * or -1 when STARTS_MAX are waiting (the launchers' depth prevents
 * it). */
int sessions_start(const struct start *st);
/* Takes the start id out into *st.  Returns 0, or -1 if there is none. */
int sessions_start_take(uint32_t id, struct start *st);
/* Takes out some start of launcher li; returns 0, or -1 when it has
 * none left. */
int sessions_start_take_of(int li, struct start *st);
/* Records the running handler of start st.  Returns -1 when the table
 * is full (cannot happen: starts count against the limit). */
int sessions_add(pid_t pid, int launcher, const struct start *st);
/* Ends the session of pid, if it is one: logs its end (peer, pid, exit
 * status or signal, duration) and releases its source.  Returns 1 if
 * pid was a session, 0 if not. */
int sessions_end(pid_t pid, int status, long long now_ms);
/* Launcher li died: its sessions are no longer natterd's to see end
 * (their handlers live on, orphaned); each is logged and released.
 * Returns how many. */
unsigned sessions_drop_launcher(int li, long long now_ms);
/* Sends sig to every session. */
void sessions_signal(int sig);
/* Session i (0 to sessions_count() - 1), for the upgrade: its pid,
 * launcher, start time and peer ("ADDR:PORT"). */
void sessions_at(unsigned i, pid_t *pid, int *launcher, long long *start_ms,
		 const char **peer);

#endif
