/* launchers.h — natterd's side of its launchers (launcher.h): starting
 * them, handing each a connection, reading what they report, and
 * restarting one that dies.
 *
 * How many: LAUNCHERS_PER_CPU per online processor, at least
 * LAUNCHERS_MIN and at most LAUNCHERS_MAX.  Two per processor, because
 * a launcher waits in vfork until its child has exec'd, and when every
 * processor is busy with sessions that child waits for its turn: with
 * one per processor both launchers of 2 cores stalled often enough to
 * leave a core idle (BENCHMARKS.md, session start: idle 2.5 % -> 0.5 %,
 * 0.949 -> 0.962 of the threaded natterd's rate).  Each
 * takes at most LAUNCHER_DEPTH connections before it has answered for
 * them; natterd does not poll its listeners while every launcher has
 * that many (connections wait in the kernel's backlog), the s6 way.
 *
 * A start goes to the launcher with the fewest outstanding, the lowest
 * numbered first, so that connections made one after another all go
 * to launcher 0.
 *
 * A launcher that dies (end of file on its socket, or reaped) is
 * accounted for at once: what it had reported is read first, then the
 * events' lost() runs for it; it is started again after a delay that
 * starts at LAUNCHER_RESTART_MIN_MS and doubles up to
 * LAUNCHER_RESTART_MAX_MS while launchers keep dying young. */
#ifndef NATTERD_LAUNCHERS_H
#define NATTERD_LAUNCHERS_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define LAUNCHERS_PER_CPU 2
#define LAUNCHERS_MIN 2
#define LAUNCHERS_MAX 8
#define LAUNCHER_DEPTH 4
#define LAUNCHER_RESTART_MIN_MS 100
#define LAUNCHER_RESTART_MAX_MS 5000
#define LAUNCHER_STABLE_MS 10000

/* What natterd learns from its launchers (each in the order it
 * happened for that launcher). */
struct launcher_events {
	void (*started)(uint32_t id, pid_t pid, int launcher, long long now);
	void (*failed)(uint32_t id, int err, long long now);
	void (*ended)(pid_t pid, int status, long long now);
	/* launcher died: what it had not answered for, and the sessions
	 * it was the parent of, are natterd's to account for. */
	void (*lost)(int launcher, long long now);
};

struct launchers_params {
	const char *path;            /* the handler, absolute */
	char *const *argv;
	void (*close_fn)(void);      /* in each new launcher: closes what
				      * natterd holds (listeners...) */
	const struct launcher_events *ev;
};

/* LAUNCHERS_PER_CPU per online processor, within [LAUNCHERS_MIN,
 * LAUNCHERS_MAX]. */
int launchers_wanted(void);
/* Starts n launchers (n <= LAUNCHERS_MAX); p is kept.  Returns 0, or -1
 * (logged) when none could be started. */
int launchers_start(int n, const struct launchers_params *p, long long now);
/* The launcher that should take the next connection, or -1 when every
 * one is busy (or not running). */
int launchers_pick(void);
/* Hands connection fd (still natterd's: it keeps its copy) to launcher
 * li as start id.  Returns 0, or -1 with errno set (that launcher is
 * then being killed, and lost() will follow). */
int launchers_send(int li, uint32_t id, int fd, const struct endpoint *remote,
		   const struct endpoint *local);
/* Fills pfd with the launchers' sockets (at most LAUNCHERS_MAX);
 * returns how many. */
int launchers_pollfds(struct pollfd *pfd);
/* After poll: reads the reports of those pfd says are ready. */
void launchers_ready(const struct pollfd *pfd, int n, long long now);
/* If pid is a launcher: logs its end, accounts for it, schedules its
 * restart (unless stopping) and returns 1; else 0. */
int launchers_ended(pid_t pid, int status, long long now);
/* Milliseconds until a restart is due (0: now), or -1 if none is. */
long long launchers_due(long long now);
/* Starts the launchers whose restart is due. */
void launchers_tick(long long now);
/* No more restarts; each launcher's socket closed, so each leaves once
 * it has read what was sent (natterd is stopping, its sessions gone). */
void launchers_stop(void);
/* Launchers not yet reaped. */
int launchers_running(void);
void launchers_signal(int sig);
/* In a child of natterd: closes natterd's ends of the sockets. */
void launchers_forget(void);
/* The upgrade (upgrade.h): 1 when every start has been answered and no
 * report is half read; launcher i's pid (0: not running), natterd's
 * socket and start time; the new natterd's taking over of the n
 * launchers the old one ran (one not running is restarted now). */
int launchers_quiet(void);
int launchers_count(void);
void launchers_export(int i, pid_t *pid, int *fd, long long *started);
void launchers_adopt(int n, const pid_t *pid, const int *fd,
		     const long long *started,
		     const struct launchers_params *p, long long now);

#endif
