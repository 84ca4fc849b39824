/* dgram.h — datagram services, as inetd's "dgram wait" serves them.
 *
 * -l udp:ADDR:PORT[=PROGRAM] (ADDR:PORT in listen.h's forms) binds a
 * UDP socket on every address of ADDR.  PROGRAM is a path, or a name
 * looked for in $PATH, run with no arguments; without "=PROGRAM" the
 * program after "--" serves it (with its arguments), and one of the
 * two must be given.  So TCP listeners keep natter-session while a UDP
 * one names its own program, and `natterd -l udp:ADDR:PORT -- prog`
 * serves that UDP port alone.
 *
 * "wait": natterd never reads the socket.  While no program runs for
 * it, it polls it; when a datagram is waiting it starts the program
 * with the socket (blocking) on fds 0 and 1, natterd's log on fd 2,
 * every signal at its default, and the environment natterd's handlers
 * get less the TCP variables, plus PROTO=UDP, UDPLOCALIP and
 * UDPLOCALPORT (UCSPI naming).  It does not poll that socket again
 * until the program has exited: the program reads and answers as many
 * datagrams as it likes (recvfrom/sendto on fd 0), then exits, usually
 * after a while without any.
 *
 * Starts are forked by natterd itself, not by the launchers: they are
 * rare (at most DGRAM_BURST a second a socket), each socket needs its
 * own program and environment, and the launchers' protocol and
 * accounting are the TCP sessions'.  natterd is single-threaded, so a
 * plain fork is safe; its cost is bounded by the rate limit.
 *
 * Restarts are rate-limited per socket: more than DGRAM_BURST starts
 * within DGRAM_WINDOW_MS and natterd stops polling that socket for
 * DGRAM_PAUSE_MS, logging it once per episode (an episode ends when a
 * program has run for DGRAM_STABLE_MS).  A program that exits at once
 * without reading its datagram therefore runs at most DGRAM_BURST
 * times every DGRAM_WINDOW_MS + DGRAM_PAUSE_MS. */
#ifndef NATTERD_DGRAM_H
#define NATTERD_DGRAM_H

#include <poll.h>
#include <sys/types.h>

#define DGRAM_MAX 16           /* UDP sockets in all */
#define DGRAM_BURST 10         /* starts within one window */
#define DGRAM_WINDOW_MS 1000
#define DGRAM_PAUSE_MS 5000    /* then no start for this long */
#define DGRAM_STABLE_MS 1000   /* a program that ran this long ends an
				* episode of restarts */

/* Binds every spec ("udp:..."), n of them; argv0 is natterd's (to find
 * programs as handler.h does), hargv the program after "--" or NULL.
 * Any failure is a fatal start-up error. */
void dgram_open(const char *const *specs, int n, char *const *hargv,
		const char *argv0);
/* Logs "listening for datagrams on ADDR:PORT (PROGRAM)" for each. */
void dgram_log(void);
/* The sockets to poll now (at most DGRAM_MAX); returns how many. */
int dgram_pollfds(struct pollfd *pfd, long long now);
/* After poll: starts the program of each socket with a datagram. */
void dgram_ready(const struct pollfd *pfd, int n, long long now);
/* 1 if pid was a datagram program (its socket is polled again), else 0. */
int dgram_ended(pid_t pid, int status, long long now);
/* Milliseconds until a paused socket may start again, or -1. */
long long dgram_due(long long now);
/* natterd stopping: no more starts; sig to the running programs. */
void dgram_stop(int sig);
/* Programs still running. */
int dgram_running(void);
/* In a child of natterd that is not a datagram program: the sockets
 * closed. */
void dgram_forget(void);

#endif
