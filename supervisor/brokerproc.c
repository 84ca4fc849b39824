/* brokerproc.c — start, watch and restart the broker. */
#include "brokerproc.h"
#include "child.h"
#include "../broker/sockdir.h"
#include "exitcode.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BROKER_ARGS_MAX 24 /* every option broker_argv may give, + NULL */

static struct {
	struct brokerproc_params p;
	int ready_fd;          /* the first start's pipe, broker's end, or -1 */
	int daemon;            /* the first start of a daemon: -D */
	int bound;             /* the first broker's socket is known: */
	dev_t dev;
	ino_t ino;
	pid_t pid;             /* 0 when not running */
	long long started;     /* ms */
	long long restart_at;  /* ms; -1 when no restart is due */
	long long delay;       /* the next restart delay, ms */
	int stopping;
	int life[2];           /* the life line: the broker reads [0] (-p),
				  natterd alone holds [1] and never writes */
} B = { .ready_fd = -1, .restart_at = -1, .delay = BROKER_RESTART_MIN_MS,
	.life = { -1, -1 } };

void brokerproc_init(const struct brokerproc_params *p)
{
	B.p = *p;
}

static void schedule_restart(long long now)
{
	B.restart_at = now + B.delay;
	log_msg(LOG_NOTICE, "restarting the broker in %lld ms", B.delay);
	B.delay *= 2;
	if (B.delay > BROKER_RESTART_MAX_MS)
		B.delay = BROKER_RESTART_MAX_MS;
}

/* The broker's command line (brokerproc.h); fdbuf holds -d's value,
 * lifebuf -p's. */
static void broker_argv(const char **argv, char *fdbuf, size_t len,
			char *lifebuf)
{
	int n = 0;
	argv[n++] = "natter-broker";
	argv[n++] = "-n";
	argv[n++] = "natterd-broker";
	if (log_target() == LOG_TO_SYSLOG)
		argv[n++] = "-S";
	if (B.daemon)
		argv[n++] = "-D";
	if (B.ready_fd >= 0) {
		snprintf(fdbuf, len, "%d", B.ready_fd);
		argv[n++] = "-d";
		argv[n++] = fdbuf;
	}
	if (B.life[0] >= 0) {
		snprintf(lifebuf, len, "%d", B.life[0]);
		argv[n++] = "-p";
		argv[n++] = lifebuf;
	}
	if (B.p.transcript) {
		argv[n++] = "-L";
		argv[n++] = B.p.transcript;
	}
	if (B.p.no_history)
		argv[n++] = "-N";
	if (B.p.file_max) {
		argv[n++] = "-F";
		argv[n++] = B.p.file_max;
	}
	if (B.p.offer_open) {
		argv[n++] = "-O";
		argv[n++] = B.p.offer_open;
	}
	if (B.p.state_dir) {
		argv[n++] = "-s";
		argv[n++] = B.p.state_dir;
	}
	if (B.p.redis) {
		argv[n++] = "-R";
		argv[n++] = B.p.redis;
	}
	argv[n++] = "--";
	argv[n++] = B.p.socket_path;
	argv[n] = NULL;
}

/* In the child: natterd's signal handling undone (its descriptors are
 * all close-on-exec), the ready pipe kept, then the exec. */
_Noreturn static void broker_exec(void)
{
	const char *argv[BROKER_ARGS_MAX];
	char fdbuf[16], lifebuf[16];
	broker_argv(argv, fdbuf, sizeof fdbuf, lifebuf);
	child_reset_signals();
	if (B.ready_fd >= 0 && fcntl(B.ready_fd, F_SETFD, 0) != 0)
		_exit(EXIT_TEMP);
	if (B.life[0] >= 0 && fcntl(B.life[0], F_SETFD, 0) != 0)
		_exit(EXIT_TEMP);
	execv(B.p.prog, (char *const *)argv);
	log_msg(LOG_ERR, "cannot run %s: %s", B.p.prog, strerror(errno));
	_exit(EXIT_TEMP);
}

/* natterd has one thread: a fork, then an exec at once.  Every signal
 * blocked across the fork, so none reaches natterd's handlers in the
 * child (child_reset_signals empties the mask). */
/* The life line, made once: both ends close-on-exec (no handler gets
 * them) and closed in launchers (brokerproc_forget).  Without it the
 * broker runs on as before, with a warning. */
static void life_line(void)
{
	if (B.life[0] >= 0)
		return;
	if (pipe(B.life) == 0 && io_set_cloexec(B.life[0]) == 0 &&
	    io_set_cloexec(B.life[1]) == 0)
		return;
	log_msg(LOG_WARNING, "no life line to the broker (it would outlive "
		"a killed natterd): %s", strerror(errno));
	brokerproc_forget();
}

void brokerproc_forget(void)
{
	for (int i = 0; i < 2; i++)
		if (B.life[i] >= 0) {
			close(B.life[i]);
			B.life[i] = -1;
		}
}

int brokerproc_start(long long now)
{
	sigset_t all, old;
	life_line();
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old); /* valid: cannot fail */
	pid_t pid = fork();
	if (pid == 0)
		broker_exec();
	int err = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
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
	if (got >= 0 && WIFEXITED(st) && (WEXITSTATUS(st) == EXIT_USAGE ||
					   WEXITSTATUS(st) == EXIT_TEMP))
		return WEXITSTATUS(st);
	return EXIT_TEMP;
}

/* What the first broker bound, for brokerproc_cleanup: no other broker
 * replaces a socket on which ours listens. */
static void note_socket(void)
{
	struct stat st;
	if (lstat(B.p.socket_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		B.bound = 1;
		B.dev = st.st_dev;
		B.ino = st.st_ino;
	}
}

int brokerproc_first(long long now, int sigfd, int daemon)
{
	int p[2];
	if (pipe(p) != 0 || io_set_cloexec(p[0]) != 0 ||
	    io_set_cloexec(p[1]) != 0) {
		log_msg(LOG_ERR, "cannot start the broker: pipe: %s",
			strerror(errno));
		return EXIT_TEMP;
	}
	B.ready_fd = p[1];
	B.daemon = daemon;
	int r = brokerproc_start(now);
	B.ready_fd = -1;
	B.daemon = 0;
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
		sockdir_remove_dead(B.p.socket_path, B.dev, B.ino);
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
	sockdir_forget_temp(B.p.socket_path, pid);
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

void brokerproc_export(struct brokerproc_state *s)
{
	*s = (struct brokerproc_state){ B.pid, B.started, B.bound,
		(unsigned long long)B.dev, (unsigned long long)B.ino,
		{ B.life[0], B.life[1] } };
}

void brokerproc_adopt(const struct brokerproc_state *s, long long now)
{
	B.pid = s->pid > 0 ? s->pid : 0;
	B.started = s->started;
	B.bound = s->bound;
	B.dev = (dev_t)s->dev;
	B.ino = (ino_t)s->ino;
	B.restart_at = B.pid ? -1 : now;
	if (s->life[0] >= 0 && s->life[1] >= 0 &&
	    io_set_cloexec(s->life[0]) == 0 &&
	    io_set_cloexec(s->life[1]) == 0) {
		B.life[0] = s->life[0];
		B.life[1] = s->life[1];
	}
}
