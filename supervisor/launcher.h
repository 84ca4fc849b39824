/* launcher.h — a launcher: a single-threaded process that natterd forks
 * (launchers.h) to start handlers, so that natterd's own loop never
 * waits for a vfork or posix_spawn to return.
 *
 * Why a plain fork and not an exec: natterd has one thread, so its
 * fork is as safe as any; the launcher needs what natterd has already
 * prepared (the handler's path and argv, the environment with PROTO,
 * NATTER_BROKER and NATTER_LOG set, the signal dispositions it must
 * undo in a handler), which an exec would have to pass again.
 *
 * Contract: the socket sock (natterd's socketpair, blocking) carries
 * requests in and reports out (launchproto.h).  For each request the
 * launcher sets TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT,
 * starts the handler on the connection (spawn.h: vfork, or
 * posix_spawn with -DNATTER_SPAWN_POSIX), closes its copy and reports
 * STARTED or FAILED; it reaps its own children (SIGCHLD through a
 * self-pipe) and reports each as ENDED.  SIGTERM, SIGINT, SIGHUP and
 * the signals natterd ignores are blocked: natterd decides when
 * sessions end, and a ^C to the terminal's process group must not take
 * the launchers with it.  It
 * leaves, with _exit, when natterd closes its end (status 0) or on a
 * request that breaks the protocol (EXIT_TEMP, logged). */
#ifndef NATTERD_LAUNCHER_H
#define NATTERD_LAUNCHER_H

/* Never returns.  Called in the child right after the fork, with every
 * signal blocked and natterd's signal handlers still installed. */
_Noreturn void launcher_run(int sock, const char *path, char *const *argv);

#endif
