/* brokerproc.h — the broker as natterd's supervised child: the program
 * natter-broker(8), exec'd (natterd never runs broker code itself).
 *
 * natterd starts the broker at start and again whenever it dies, after
 * a delay that starts at 100 ms and doubles up to 5 s while the broker
 * keeps dying young; a broker that ran 10 s or more is restarted after
 * the shortest delay again.  Its command line:
 *   natter-broker -n natterd-broker [-S | -D] [-d FD] [-p FD] [-L transcript]
 *                 [-s statedir] [-R redis] socket
 * -p FD: natterd's life line, a pipe natterd alone holds open for
 * writing: when natterd ends, however (SIGKILL, a crash), the broker
 * reads its end of file and stops, instead of holding the socket.
 * -S (syslog) once natterd logs to syslog; -D and -d FD for a daemon's
 * first broker, which tells natterd when it listens on FD and then
 * leaves the terminal. */
#ifndef NATTERD_BROKERPROC_H
#define NATTERD_BROKERPROC_H

#include <sys/types.h>

#define BROKER_RESTART_MIN_MS 100
#define BROKER_RESTART_MAX_MS 5000
#define BROKER_STABLE_MS 10000
#define BROKER_READY_MS 10000   /* for the first start to listen */

struct brokerproc_params {
	const char *prog;         /* natter-broker, absolute */
	const char *socket_path;  /* absolute */
	const char *transcript;   /* absolute, or NULL */
	const char *state_dir;    /* -s: absolute (natterd -D or the default) */
	const char *redis;        /* -R: the shared Redis, or NULL */
	int no_history;           /* natter-broker -N: natterd -n */
	const char *file_max;     /* natter-broker -F: natterd -S, or NULL */
	const char *offer_open;   /* natter-broker -O: natterd -O, or NULL */
};

/* p's strings must outlive natterd's serving. */
void brokerproc_init(const struct brokerproc_params *p);
/* The first start: runs the broker and waits up to BROKER_READY_MS
 * until it listens, so that a broker that cannot start (another one
 * listens on the socket, a directory of the wrong mode: nothing a
 * restart would mend) stops natterd at once instead of being restarted
 * forever while sessions cannot chat.  daemon: the broker leaves the
 * terminal once it listens (-D).  Returns 0 once the broker listens, or
 * when a signal waits on sigfd (left unread for the main loop, which
 * then stops: SIGTERM during a slow start is obeyed at once); else,
 * the broker's reason logged, the status natterd should exit with
 * (the broker's own 100 or 111, else 111). */
int brokerproc_first(long long now_ms, int sigfd, int daemon);
/* Starts the broker now.  Returns 0, or -1 (logged; retried later). */
int brokerproc_start(long long now_ms);
pid_t brokerproc_pid(void);
/* If pid is the broker: logs its end, schedules its restart (unless
 * stopping) and returns 1; else 0. */
int brokerproc_ended(pid_t pid, int status, long long now_ms);
/* Milliseconds until a restart is due (0: now), or -1 if none is. */
long long brokerproc_due(long long now_ms);
/* Starts the broker if a restart is due. */
void brokerproc_tick(long long now_ms);
void brokerproc_signal(int sig);
/* Closes natterd's ends of the life line: in a launcher (a fork that
 * must not keep the broker alive after natterd). */
void brokerproc_forget(void);
/* No more restarts (natterd is stopping). */
void brokerproc_stopping(void);
/* Once no broker runs: removes the socket the first broker bound if it
 * is still there (that broker was killed before it could).  A socket
 * bound by anyone else, another instance's included, is never touched;
 * one left by a restarted broker that was killed is stale and the next
 * broker replaces it. */
void brokerproc_cleanup(void);

/* The upgrade (upgrade.h): what the new natterd needs to go on
 * watching the broker the old one started (pid 0: restart it now). */
struct brokerproc_state {
	pid_t pid;
	long long started;
	int bound;
	unsigned long long dev, ino;
	int life[2];        /* the life line's ends, -1 when none: kept
			       open across an upgrade's exec, else the
			       broker would read its end and stop */
};
void brokerproc_export(struct brokerproc_state *s);
void brokerproc_adopt(const struct brokerproc_state *s, long long now);

#endif
