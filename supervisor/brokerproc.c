/* brokerproc.c — start, watch and restart the broker. */
#include "brokerproc.h"
#include "biglock.h"
#include "child.h"
#include "../broker/sockdir.h"
#include "config.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	struct broker_config cfg;  /* ready_fd and on_ready: first start only */
	void (*close_fn)(void);
	int ready_rfd;             /* natterd's end of the ready pipe, or -1 */
	int bound;                 /* the first broker's socket is known: */
	dev_t dev;
	ino_t ino;
	pid_t pid;             /* 0 when not running */
	long long started;     /* ms */
	long long restart_at;  /* ms; -1 when no restart is due */
	long long delay;       /* the next restart delay, ms */
	int stopping;
} B = { .ready_rfd = -1, .restart_at = -1, .delay = BROKER_RESTART_MIN_MS };

void brokerproc_init(const struct broker_config *cfg, void (*close_fn)(void))
{
	B.cfg = *cfg;
	B.cfg.ready_fd = -1;
	B.cfg.on_ready = NULL;
	B.close_fn = close_fn;
}

static void schedule_restart(long long now)
{
	B.restart_at = now + B.delay;
	log_msg(LOG_NOTICE, "restarting the broker in %lld ms", B.delay);
	B.delay *= 2;
	if (B.delay > BROKER_RESTART_MAX_MS)
		B.delay = BROKER_RESTART_MAX_MS;
}

int brokerproc_start(long long now)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	biglock_fork_begin(); /* no acceptor starting a child: biglock.h */
	pid_t pid = fork();
	if (pid == 0) {
		B.close_fn();
		if (B.ready_rfd >= 0)
			close(B.ready_rfd);
		log_init("natterd-broker", log_target());
		child_reset_signals();
		/* The broker writes to sockets and must not die of it. */
		signal(SIGPIPE, SIG_IGN);
		_exit(broker_run(&B.cfg));
	}
	int err = errno;
	biglock_fork_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot fork the broker: %s", strerror(err));
		schedule_restart(now);
		return -1;
	}
	B.pid = pid;
	B.started = now;
	B.restart_at = -1;
	log_msg(LOG_NOTICE, "broker started, pid %ld", (long)pid);
	return 0;
}

/* 1 once a byte came, 0 at end of file, -1 when time ran out, 2 when a
 * signal is pending on sigfd (left unread, for the main loop: a SIGTERM
 * while the broker starts is obeyed at once, not after the wait). */
static int wait_ready(int fd, int sigfd, long long deadline)
{
	for (;;) {
		long long left = deadline - io_now_ms();
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = sigfd, .events = POLLIN } };
		int n = poll(p, 2, left > 0 ? (int)left : 0);
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return -1;
		}
		if (n > 0 && !p[0].revents)
			return 2;
		if (n > 0) {
			char b;
			ssize_t r = io_read(fd, &b, 1);
			return r == 1 ? 1 : 0; /* an error: it is gone too */
		}
		if (n == 0)
			return -1;
	}
}

/* The exit status for a first broker that did not come up. */
static int unready(int got)
{
	int st;
	if (got < 0) {
		log_msg(LOG_ERR, "the broker did not listen within %d ms",
			BROKER_READY_MS);
		brokerproc_signal(SIGKILL);
	}
	/* It closed the pipe as it ended (or was killed just now), so
	 * this wait is short. */
	while (waitpid(B.pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_TEMP;
	B.pid = 0;
	brokerproc_stopping();
	if (got >= 0 && WIFEXITED(st) && (WEXITSTATUS(st) == BROKER_EXIT_USAGE ||
					   WEXITSTATUS(st) == BROKER_EXIT_TEMP))
		return WEXITSTATUS(st);
	return EXIT_TEMP;
}

/* What the first broker bound, for brokerproc_cleanup: no other broker
 * replaces a socket on which ours listens. */
static void note_socket(void)
{
	struct stat st;
	if (lstat(B.cfg.socket_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		B.bound = 1;
		B.dev = st.st_dev;
		B.ino = st.st_ino;
	}
}

int brokerproc_first(long long now, int sigfd, void (*on_ready)(void))
{
	int p[2];
	if (pipe(p) != 0 || io_set_cloexec(p[0]) != 0 ||
	    io_set_cloexec(p[1]) != 0) {
		log_msg(LOG_ERR, "cannot start the broker: pipe: %s",
			strerror(errno));
		return EXIT_TEMP;
	}
	B.cfg.ready_fd = p[1];
	B.cfg.on_ready = on_ready;
	B.ready_rfd = p[0];
	int r = brokerproc_start(now);
	B.ready_rfd = -1;
	B.cfg.ready_fd = -1;
	B.cfg.on_ready = NULL;
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return EXIT_TEMP;
	}
	int got = wait_ready(p[0], sigfd, now + BROKER_READY_MS);
	close(p[0]);
	if (got == 2)
		return 0; /* natterd's loop takes the signal and stops */
	if (got != 1)
		return unready(got);
	note_socket();
	return 0;
}

void brokerproc_cleanup(void)
{
	if (B.pid == 0 && B.bound)
		sockdir_remove_dead(B.cfg.socket_path, B.dev, B.ino);
}

pid_t brokerproc_pid(void)
{
	return B.pid;
}

int brokerproc_ended(pid_t pid, int status, long long now)
{
	if (pid != B.pid || pid == 0)
		return 0;
	B.pid = 0;
	sockdir_forget_temp(B.cfg.socket_path, pid);
	if (WIFSIGNALED(status))
		log_msg(B.stopping ? LOG_INFO : LOG_ERR,
			"broker pid %ld killed by signal %d", (long)pid,
			WTERMSIG(status));
	else
		log_msg(B.stopping ? LOG_INFO : LOG_ERR,
			"broker pid %ld exited with status %d", (long)pid,
			WEXITSTATUS(status));
	if (now - B.started >= BROKER_STABLE_MS)
		B.delay = BROKER_RESTART_MIN_MS;
	if (!B.stopping)
		schedule_restart(now);
	return 1;
}

long long brokerproc_due(long long now)
{
	if (B.restart_at < 0)
		return -1;
	return B.restart_at > now ? B.restart_at - now : 0;
}

void brokerproc_tick(long long now)
{
	if (B.restart_at >= 0 && now >= B.restart_at && !B.stopping)
		brokerproc_start(now);
}

void brokerproc_signal(int sig)
{
	if (B.pid > 0 && kill(B.pid, sig) != 0 && errno != ESRCH)
		log_msg(LOG_WARNING, "kill broker %ld: %s", (long)B.pid,
			strerror(errno));
}

void brokerproc_stopping(void)
{
	B.stopping = 1;
	B.restart_at = -1;
}
