/* launchers.c — natterd's launchers; see launchers.h. */
#include "launchers.h"
#include "fdpass.h"
#include "io.h"
#include "launcher.h"
#include "launchproto.h"
#include "log.h"
#include "proctitle.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORTS_BUF 64  /* records read at once from one launcher */

struct launcher {
	pid_t pid;               /* 0: not running (or reaped) */
	int fd;                  /* natterd's end, -1 once closed */
	unsigned busy;           /* requests not answered yet */
	long long started;       /* ms */
	long long restart_at;    /* ms, -1: none due */
	long long delay;         /* the next restart's delay, ms */
	size_t have;             /* bytes of a record kept in buf */
	unsigned char buf[REPORTS_BUF * sizeof(struct launch_report)];
};

static struct {
	struct launcher l[LAUNCHERS_MAX];
	int n;
	const struct launchers_params *p;
	int stopping;
} LS;

int launchers_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1; /* unknown: the least */
	if (cpus > LAUNCHERS_MAX / LAUNCHERS_PER_CPU)
		return LAUNCHERS_MAX;
	long n = cpus * LAUNCHERS_PER_CPU;
	return n < LAUNCHERS_MIN ? LAUNCHERS_MIN : (int)n;
}

void launchers_forget(void)
{
	for (int i = 0; i < LS.n; i++)
		if (LS.l[i].fd >= 0) {
			close(LS.l[i].fd);
			LS.l[i].fd = -1;
		}
}

/* argv's strings copied: the launcher's title is written over the
 * originals.  NULL when memory ran out. */
static char **argv_copy(char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **c = calloc(n + 1, sizeof *c);
	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(argv[i])))
			return NULL; /* the child exits at once: no leak */
	return c;
}

/* The new launcher, in the child of the fork. */
_Noreturn static void child(int sock)
{
	char **argv = argv_copy(LS.p->argv);
	launchers_forget();
	LS.p->close_fn();
	if (!argv) {
		log_msg(LOG_ERR, "launcher: out of memory");
		_exit(111);
	}
	proctitle_set("natterd: launcher", "natterd-launch");
	launcher_run(sock, LS.p->path, argv);
}

static void schedule_restart(struct launcher *l, long long now)
{
	l->restart_at = now + l->delay;
	log_msg(LOG_NOTICE, "restarting launcher %d in %lld ms",
		(int)(l - LS.l), l->delay);
	l->delay = l->delay * 2 > LAUNCHER_RESTART_MAX_MS ?
		LAUNCHER_RESTART_MAX_MS : l->delay * 2;
}

static int pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	if (io_set_cloexec(sv[0]) == 0 && io_set_cloexec(sv[1]) == 0 &&
	    io_set_nonblock(sv[0], 1) == 0)
		return 0;
	int err = errno;
	close(sv[0]);
	close(sv[1]);
	errno = err;
	return -1;
}

/* Forks launcher i, with every signal blocked across the fork so that
 * none reaches natterd's handlers in the child.  Returns 0, or -1
 * (logged, restart scheduled). */
static int launcher_start(int i, long long now)
{
	struct launcher *l = &LS.l[i];
	sigset_t all, old;
	int sv[2];
	pid_t pid = -1;
	if (pair(sv) == 0) {
		sigfillset(&all);
		(void)sigprocmask(SIG_BLOCK, &all, &old); /* valid: cannot fail */
		pid = fork();
		if (pid == 0) {
			close(sv[0]);
			child(sv[1]);
		}
		int err = errno;
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		close(sv[1]);
		if (pid < 0)
			close(sv[0]);
		errno = err;
	}
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start launcher %d: %s", i,
			strerror(errno));
		schedule_restart(l, now);
		return -1;
	}
	*l = (struct launcher){ .pid = pid, .fd = sv[0], .started = now,
		.restart_at = -1, .delay = l->delay };
	log_msg(LOG_INFO, "launcher %d started, pid %ld", i, (long)pid);
	return 0;
}

int launchers_start(int n, const struct launchers_params *p, long long now)
{
	int ok = 0;
	LS.p = p;
	LS.n = n;
	for (int i = 0; i < n; i++) {
		LS.l[i] = (struct launcher){ .fd = -1, .restart_at = -1,
			.delay = LAUNCHER_RESTART_MIN_MS };
		ok += launcher_start(i, now) == 0;
	}
	return ok ? 0 : -1;
}

int launchers_pick(void)
{
	int best = -1;
	for (int i = 0; i < LS.n; i++) {
		const struct launcher *l = &LS.l[i];
		if (l->pid > 0 && l->fd >= 0 && l->busy < LAUNCHER_DEPTH &&
		    (best < 0 || l->busy < LS.l[best].busy))
			best = i;
	}
	return best;
}

/* A launcher that cannot be spoken to any more: killed, and accounted
 * for now (what it reported already has been read). */
static void launcher_lost(struct launcher *l, long long now)
{
	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	l->busy = 0;
	l->have = 0;
	if (l->pid > 0 && kill(l->pid, SIGKILL) != 0 && errno != ESRCH)
		log_msg(LOG_WARNING, "kill launcher %ld: %s", (long)l->pid,
			strerror(errno));
	LS.p->ev->lost((int)(l - LS.l), now);
}

int launchers_send(int li, uint32_t id, int fd, const struct endpoint *remote,
		   const struct endpoint *local)
{
	struct launcher *l = &LS.l[li];
	struct launch_req req = { .type = LAUNCH_START, .len = sizeof req,
		.id = id, .remote_port = (uint16_t)remote->port,
		.local_port = (uint16_t)local->port };
	/* fit: the same sizes (launchproto.h) */
	memcpy(req.remote_ip, remote->ip, sizeof req.remote_ip);
	memcpy(req.local_ip, local->ip, sizeof req.local_ip);
	ssize_t r = fdpass_send(l->fd, &req, sizeof req, fd,
				MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r == (ssize_t)sizeof req) {
		l->busy++;
		return 0;
	}
	/* LAUNCHER_DEPTH requests fit in any socket buffer: a short or
	 * failed send means the launcher is broken. */
	int err = r < 0 ? errno : EPROTO;
	log_msg(LOG_ERR, "launcher %d: sending a connection: %s", li,
		strerror(err));
	launcher_lost(l, io_now_ms());
	errno = err;
	return -1;
}

int launchers_pollfds(struct pollfd *pfd)
{
	int n = 0;
	for (int i = 0; i < LS.n; i++)
		if (LS.l[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = LS.l[i].fd,
						    .events = POLLIN };
	return n;
}

/* One record from launcher l.  Returns 0, or -1 for a record that
 * breaks the protocol. */
static int dispatch(struct launcher *l, const struct launch_report *r,
		    long long now)
{
	const struct launcher_events *ev = LS.p->ev;
	switch (r->type) {
	case LAUNCH_STARTED:
	case LAUNCH_FAILED:
		if (l->busy == 0 || r->id == 0)
			return -1;
		l->busy--;
		if (r->type == LAUNCH_STARTED)
			ev->started(r->id, r->pid, (int)(l - LS.l), now);
		else
			ev->failed(r->id, r->value, now);
		return 0;
	case LAUNCH_ENDED:
		ev->ended(r->pid, r->value, now);
		return 0;
	default:
		return -1;
	}
}

/* Reads what launcher l has reported.  Returns 0, or -1 when it is
 * gone (end of file, an error, a bad record). */
static int drain(struct launcher *l, long long now)
{
	for (;;) {
		ssize_t r = io_read_some(l->fd, l->buf + l->have,
					 sizeof l->buf - l->have);
		if (r <= 0)
			return r == 0 ? 0 : -1;
		l->have += (size_t)r;
		size_t whole = l->have / sizeof(struct launch_report);
		for (size_t i = 0; i < whole; i++) {
			struct launch_report rec;
			memcpy(&rec, l->buf + i * sizeof rec, sizeof rec);
			if (dispatch(l, &rec, now) != 0) {
				log_msg(LOG_ERR, "launcher %d: bad report",
					(int)(l - LS.l));
				return -1;
			}
		}
		l->have -= whole * sizeof(struct launch_report);
		memmove(l->buf, l->buf + whole * sizeof(struct launch_report),
			l->have);
		if ((size_t)r < sizeof l->buf - l->have)
			return 0; /* read all there was */
	}
}

void launchers_ready(const struct pollfd *pfd, int n, long long now)
{
	for (int k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (int i = 0; i < LS.n; i++) {
			struct launcher *l = &LS.l[i];
			if (l->fd == pfd[k].fd && drain(l, now) != 0)
				launcher_lost(l, now);
		}
	}
}

int launchers_ended(pid_t pid, int status, long long now)
{
	for (int i = 0; i < LS.n; i++) {
		struct launcher *l = &LS.l[i];
		if (l->pid != pid || pid <= 0)
			continue;
		if (l->fd >= 0) /* what it said last, then end of file */
			(void)drain(l, now);
		l->pid = 0; /* reaped: the number may be another's, no kill */
		launcher_lost(l, now);
		int sig = WIFSIGNALED(status);
		log_msg(LS.stopping ? LOG_INFO : LOG_ERR,
			sig ? "launcher %d pid %ld killed by signal %d" :
			"launcher %d pid %ld exited with status %d", i, (long)pid,
			sig ? WTERMSIG(status) : WEXITSTATUS(status));
		if (now - l->started >= LAUNCHER_STABLE_MS)
			l->delay = LAUNCHER_RESTART_MIN_MS;
		if (!LS.stopping)
			schedule_restart(l, now);
		return 1;
	}
	return 0;
}

long long launchers_due(long long now)
{
	long long due = -1;
	for (int i = 0; i < LS.n; i++) {
		long long at = LS.l[i].restart_at;
		if (at < 0 || LS.stopping)
			continue;
		long long left = at > now ? at - now : 0;
		if (due < 0 || left < due)
			due = left;
	}
	return due;
}

void launchers_tick(long long now)
{
	for (int i = 0; i < LS.n && !LS.stopping; i++)
		if (LS.l[i].restart_at >= 0 && now >= LS.l[i].restart_at)
			launcher_start(i, now);
}

void launchers_stop(void)
{
	LS.stopping = 1;
	for (int i = 0; i < LS.n; i++) {
		LS.l[i].restart_at = -1;
		if (LS.l[i].fd >= 0) {
			close(LS.l[i].fd);
			LS.l[i].fd = -1;
		}
	}
}

int launchers_running(void)
{
	int n = 0;
	for (int i = 0; i < LS.n; i++)
		n += LS.l[i].pid > 0;
	return n;
}

void launchers_signal(int sig)
{
	for (int i = 0; i < LS.n; i++)
		if (LS.l[i].pid > 0 && kill(LS.l[i].pid, sig) != 0 &&
		    errno != ESRCH)
			log_msg(LOG_WARNING, "kill launcher %ld: %s",
				(long)LS.l[i].pid, strerror(errno));
}

int launchers_quiet(void)
{
	for (int i = 0; i < LS.n; i++)
		if (LS.l[i].busy || LS.l[i].have)
			return 0;
	return 1;
}

int launchers_count(void)
{
	return LS.n;
}

void launchers_export(int i, pid_t *pid, int *fd, long long *started)
{
	*pid = LS.l[i].fd >= 0 ? LS.l[i].pid : 0;
	*fd = LS.l[i].fd;
	*started = LS.l[i].started;
}

void launchers_adopt(int n, const pid_t *pid, const int *fd,
		     const long long *started,
		     const struct launchers_params *p, long long now)
{
	LS.p = p;
	LS.n = n;
	for (int i = 0; i < n; i++) {
		LS.l[i] = (struct launcher){ .pid = pid[i], .fd = fd[i],
			.started = started[i], .restart_at = -1,
			.delay = LAUNCHER_RESTART_MIN_MS };
		if (pid[i] <= 0 || fd[i] < 0) {
			LS.l[i].pid = 0;
			LS.l[i].fd = -1;
			LS.l[i].restart_at = now;
		}
	}
}
