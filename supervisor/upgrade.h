/* upgrade.h — natterd replaced by its (new) binary in place, on
 * SIGUSR2, keeping its pid, listeners, broker, launchers and sessions.
 *
 * The old natterd: checks the binary at the path it was started from
 * (`natterd --upgrade-check` must print UPGRADE_CHECK_LINE and exit 0
 * within UPGRADE_CHECK_MS; else it logs why and goes on serving), stops
 * polling its listeners (connections wait in the backlog), waits until
 * every start has been answered and no PROXY header is half read (at
 * most UPGRADE_QUIET_MS; else it gives up and serves on), writes its
 * state to an unlinked temporary file and execs the binary with
 * NATTER_UPGRADE_FD (the state) and NATTER_UPGRADE_PREV_FD (its own
 * executable, opened at start) in the environment and the listeners'
 * and launchers' sockets left open.  An exec that fails leaves it
 * serving.
 *
 * The new natterd (upgrade_resuming) takes that state over instead of
 * binding, detaching, dropping privileges, starting a broker and
 * launchers; the broker and the launchers (forks of the old binary,
 * speaking launchproto.h) run on unchanged; per-source rate history is
 * not carried (session counts are).  If the state cannot be taken
 * over, it execs the previous executable with the same state, which
 * serves on (rollback).
 *
 * State, one line each: "natterd-upgrade 1", "listener FD PROXY",
 * "broker PID STARTED_MS BOUND DEV INO", "launcher I PID FD
 * STARTED_MS", "session PID LAUNCHER START_MS PEER", "end"; times on
 * the monotonic clock, which an exec keeps. */
#ifndef NATTERD_UPGRADE_H
#define NATTERD_UPGRADE_H

#include "launchers.h"
#include "listen.h"

#define UPGRADE_CHECK_LINE "natterd-upgrade 1"
#define UPGRADE_CHECK_MS 5000
#define UPGRADE_QUIET_MS 5000

/* `natterd --upgrade-check` answers and exits; call first in main. */
void upgrade_check_answer(int argc, char **argv);
/* 1 when the environment says this natterd resumes an old one (before
 * upgrade_init: a daemon's log is syslog from the start). */
int upgrade_env(void);
/* Remembers how natterd was started (argv kept) and, when resuming,
 * reads the state (fatal or rolled back if it is bad).  Call after the
 * options are parsed, before anything is opened. */
void upgrade_init(int argc, char **argv);
/* 1 when this natterd takes over from an old one. */
int upgrade_resuming(void);
/* Resuming: the listeners, the broker; then, from the loop, the
 * launchers and the sessions.  Each returns 0, or -1 (logged: the
 * caller rolls back with upgrade_rollback). */
int upgrade_resume_listeners(struct listeners *ls);
int upgrade_resume_broker(long long now);
int upgrade_resume_launchers(const struct launchers_params *lp,
			     long long now);
/* Execs the previous executable with the state; returns only if it
 * cannot. */
void upgrade_rollback(void);

/* SIGUSR2 in the loop: checks the binary, then holds the listeners.
 * Returns 1 when an upgrade is under way. */
int upgrade_request(long long now);
/* From the loop while one is under way: execs once natterd is quiet
 * (returns only if it failed or gave up: serving goes on). */
void upgrade_tick(const struct listeners *ls, long long now);
/* Milliseconds until upgrade_tick must look again, or -1. */
long long upgrade_due(long long now);
int upgrade_pending(void);

#endif
