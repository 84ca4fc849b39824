/* server.c — natterd's one loop: signals, reaping, the launchers, the
 * listeners, the broker, stopping.  No threads: everything natterd
 * owns (the session table, the limits, the log) is used from here. */
#include "server.h"
#include "admit.h"
#include "brokerproc.h"
#include "dgram.h"
#include "exitcode.h"
#include "io.h"
#include "log.h"
#include "notify.h"
#include "proxywait.h"
#include "rulefile.h"
#include "upgrade.h"
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
		if (launchers_ended(pid, status, now) ||
		    brokerproc_ended(pid, status, now) ||
		    dgram_ended(pid, status, now))
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
	notify_send("STOPPING=1");
	admit_stop();
	brokerproc_stopping();
	sessions_signal(SIGTERM);
	dgram_stop(SIGTERM);
	S.phase = 0;
	S.deadline = now + (long long)S.p->grace_seconds * 1000;
}

/* The launchers leave once their sockets close; the broker on SIGTERM. */
static void stop_helpers(long long now)
{
	S.phase = 2;
	launchers_stop();
	brokerproc_signal(SIGTERM);
	S.deadline = now + STOP_WAIT_MS;
}

/* The stop, one phase at a time, each with a deadline, so it ends:
 * 0 sessions have SIGTERM; 1 they have SIGKILL; 2 the launchers'
 * sockets are closed and the broker has SIGTERM; 3 they have SIGKILL.
 * Returns 1 when done. */
static int stop_tick(long long now)
{
	if (S.phase <= 1 && sessions_in_use() == 0)
		stop_helpers(now);
	if (S.phase >= 2 && brokerproc_pid() == 0 && launchers_running() == 0 &&
	    dgram_running() == 0)
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
		stop_helpers(now);
		return 0;
	case 2:
		if (brokerproc_pid() != 0)
			log_msg(LOG_ERR, "killing the broker");
		brokerproc_signal(SIGKILL);
		launchers_signal(SIGKILL);
		dgram_stop(SIGKILL);
		S.phase = 3;
		S.deadline = now + STOP_WAIT_MS;
		return 0;
	default:
		log_msg(LOG_ERR, "the broker or a launcher did not end");
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
		rulefile_reload();
	}
	if ((m & (1u << SIGUSR2)) && !S.stopping)
		upgrade_request(now);
	if (m & (1u << SIGTERM))
		begin_stop(SIGTERM, now);
	else if (m & (1u << SIGINT))
		begin_stop(SIGINT, now);
}

static long long earliest(long long a, long long b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Until the next deadline; a child's end wakes poll through SIGCHLD. */
static int poll_timeout(long long now)
{
	long long t = earliest(brokerproc_due(now), launchers_due(now));
	t = earliest(t, admit_due(now));
	t = earliest(t, proxywait_due(now));
	t = earliest(t, upgrade_due(now));
	t = earliest(t, dgram_due(now));
	if (S.stopping)
		t = earliest(t, S.deadline > now ? S.deadline - now : 0);
	return t < 0 ? -1 : t > 60000 ? 60000 : (int)t;
}

/* One wait and what it found. */
static void serve_once(int sigfd, long long now)
{
	struct pollfd pfd[1 + LAUNCHERS_MAX + LISTENERS_MAX + PROXY_WAIT_MAX +
			  DGRAM_MAX];
	pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	int nl = launchers_pollfds(pfd + 1);
	int na = admit_pollfds(pfd + 1 + nl, now);
	int np = proxywait_pollfds(pfd + 1 + nl + na);
	int nd = dgram_pollfds(pfd + 1 + nl + na + np, now);
	int r = poll(pfd, (nfds_t)(1 + nl + na + np + nd), poll_timeout(now));
	if (r < 0 && errno != EINTR) { /* ENOMEM: wait a little, then again */
		log_msg(LOG_ERR, "poll: %s", strerror(errno));
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	if (r <= 0)
		return;
	now = io_now_ms();
	launchers_ready(pfd + 1, nl, now);
	if (pfd[0].revents)
		on_signals(now);
	admit_ready(pfd + 1 + nl, na, now); /* nothing once stopping */
	proxywait_ready(pfd + 1 + nl + na, np, now);
	dgram_ready(pfd + 1 + nl + na + np, nd, now);
}

int server_run(const struct server_params *p, int sigfd)
{
	static struct launchers_params lp;
	struct admit_params ap = { p->ls, p->handler_path };
	int status = 0;
	S.p = p;
	lp = (struct launchers_params){ p->handler_path, p->handler_argv,
					p->close_fn, &admit_events };
	admit_init(&ap);
	if (p->resume) {
		if (upgrade_resume_launchers(&lp, io_now_ms()) != 0)
			upgrade_rollback();
		reap(io_now_ms()); /* what ended during the exec */
		notify_send("READY=1");
	} else if (launchers_start(launchers_wanted(), &lp, io_now_ms()) != 0) {
		log_msg(LOG_ERR, "no launcher could start; stopping");
		status = EXIT_TEMP;
		begin_stop(0, io_now_ms());
	} else {
		listeners_log(p->ls); /* "listening on": serving from now */
		dgram_log();
		notify_send("READY=1");
	}
	for (;;) {
		long long now = io_now_ms();
		if (S.stopping && stop_tick(now))
			break;
		brokerproc_tick(now);
		launchers_tick(now);
		admit_tick(now);
		proxywait_tick(now);
		if (upgrade_pending() && !S.stopping)
			upgrade_tick(p->ls, now);
		serve_once(sigfd, now);
	}
	return status;
}
