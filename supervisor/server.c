/* server.c — the main thread: signals, reaping, the broker, stopping;
 * the acceptors (acceptors.h) take the connections. */
#include "server.h"
#include "acceptors.h"
#include "biglock.h"
#include "brokerproc.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "selfpipe.h"
#include "sessions.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static struct {
	const struct server_params *p;
	int stopping;
	long long deadline;      /* of the current stop phase */
	int phase;               /* see stop_tick */
} S;

static void reap(long long now)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sessions_end(pid, status, now) ||
		    brokerproc_ended(pid, status, now) ||
		    sessions_stash(pid, status))
			continue;
		log_msg(LOG_INFO, "reaped unknown child %ld", (long)pid);
	}
	if (pid < 0 && errno != ECHILD)
		log_msg(LOG_WARNING, "waitpid: %s", strerror(errno));
}

static void begin_stop(int sig, long long now)
{
	if (S.stopping) {
		S.deadline = now; /* a second signal: hurry */
		return;
	}
	if (sig)
		log_msg(LOG_NOTICE, "signal %d: stopping (%u sessions)", sig,
			sessions_count());
	S.stopping = 1;
	acceptors_stop();
	listeners_close(S.p->ls);
	brokerproc_stopping();
	sessions_signal(SIGTERM);
	S.phase = 0;
	S.deadline = now + (long long)S.p->grace_seconds * 1000;
}

static void stop_broker(long long now)
{
	S.phase = 2;
	brokerproc_signal(SIGTERM);
	S.deadline = now + STOP_WAIT_MS;
}

/* The stop, one phase at a time, each with a deadline, so it ends:
 * 0 sessions have SIGTERM; 1 they have SIGKILL; 2 the broker has
 * SIGTERM; 3 the broker has SIGKILL.  Returns 1 when done. */
static int stop_tick(long long now)
{
	if (S.phase <= 1 && sessions_count() == 0)
		stop_broker(now);
	if (S.phase >= 2 && brokerproc_pid() == 0)
		return 1;
	if (now < S.deadline)
		return 0;
	switch (S.phase) {
	case 0:
		log_msg(LOG_NOTICE, "killing %u sessions", sessions_count());
		sessions_signal(SIGKILL);
		S.phase = 1;
		S.deadline = now + STOP_WAIT_MS;
		return 0;
	case 1:
		log_msg(LOG_ERR, "%u sessions did not end", sessions_count());
		stop_broker(now);
		return 0;
	case 2:
		log_msg(LOG_ERR, "killing the broker");
		brokerproc_signal(SIGKILL);
		S.phase = 3;
		S.deadline = now + STOP_WAIT_MS;
		return 0;
	default:
		log_msg(LOG_ERR, "the broker did not end");
		return 1;
	}
}

static void on_signals(long long now)
{
	unsigned m = selfpipe_drain();
	if (m & (1u << SIGCHLD))
		reap(now);
	if (m & (1u << SIGHUP)) {
		log_msg(LOG_NOTICE, "SIGHUP: reopening logs");
		log_reopen();
		brokerproc_signal(SIGHUP);
	}
	if (m & (1u << SIGTERM))
		begin_stop(SIGTERM, now);
	else if (m & (1u << SIGINT))
		begin_stop(SIGINT, now);
}

/* Until the next deadline; a child's end wakes poll through SIGCHLD. */
static int poll_timeout(long long now)
{
	long long t = brokerproc_due(now);
	if (S.stopping)
		t = S.deadline > now ? S.deadline - now : 0;
	return t < 0 ? -1 : (int)(t > 0 ? t : 0);
}

/* Waits, without the big lock, for a signal or the next deadline. */
static void wait_unlocked(int sigfd, long long now)
{
	struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
	int timeout = poll_timeout(now);
	biglock_give();
	int r = poll(&pfd, 1, timeout);
	int err = errno;
	if (r < 0 && err != EINTR)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	biglock_take();
	if (r < 0 && err != EINTR)
		log_msg(LOG_ERR, "poll: %s", strerror(err));
}

int server_run(const struct server_params *p, int sigfd)
{
	int status = 0;
	S.p = p;
	biglock_take();
	if (acceptors_start(p) != 0) {
		log_msg(LOG_ERR, "cannot start the acceptor threads: %s; stopping",
			strerror(errno));
		status = EXIT_TEMP;
		begin_stop(0, io_now_ms());
	} else {
		listeners_log(p->ls); /* "listening on": serving from now */
	}
	for (;;) {
		long long now = io_now_ms();
		if (S.stopping && stop_tick(now))
			break;
		brokerproc_tick(now);
		wait_unlocked(sigfd, now);
		on_signals(io_now_ms());
	}
	biglock_give();
	return status;
}
