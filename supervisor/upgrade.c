/* upgrade.c — see upgrade.h.  The old natterd's half: the check, the
 * quiet wait, the state written, the exec.  The new one's half (the
 * state read and taken over) is upgrade_resume.c. */
#include "upgrade.h"
#include "upgrade_state.h"
#include "admit.h"
#include "brokerproc.h"
#include "child.h"
#include "io.h"
#include "log.h"
#include "notify.h"
#include "proxywait.h"
#include "sessions.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct upgrade_self U = { .prev_fd = -1, .state_fd = -1 };

static struct {
	int pending;
	long long give_up_at;
} W;

void upgrade_check_answer(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--upgrade-check") == 0) {
		int ok = printf("%s\n", UPGRADE_CHECK_LINE) > 0 &&
			 fflush(stdout) == 0;
		exit(ok ? 0 : 1);
	}
}

/* Reads what fd says until end of file or the deadline, into buf. */
static size_t read_answer(int fd, char *buf, size_t size, long long until)
{
	size_t have = 0;
	while (have + 1 < size) {
		long long left = until - io_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			break;
		ssize_t r = io_read(fd, buf + have, size - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
	return have;
}

/* The check's exit status, waited for until the deadline (then it is
 * killed): the loop is held for at most UPGRADE_CHECK_MS. */
static int wait_bounded(pid_t pid, long long until)
{
	int status;
	pid_t r;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	       io_now_ms() < until)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	if (r == pid)
		return status;
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Runs `SELF --upgrade-check`: 0 when it answers as this natterd
 * expects, else -1 (logged). */
static int check_binary(void)
{
	char answer[64];
	int p[2], status = -1;
	if (pipe(p) != 0) {
		log_msg(LOG_ERR, "upgrade: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		child_reset_signals();
		if (dup2(p[1], 1) == 1) {
			char *const argv[] = { "natterd", "--upgrade-check",
					       NULL };
			execv(U.path, argv);
		}
		_exit(127);
	}
	close(p[1]);
	long long until = io_now_ms() + UPGRADE_CHECK_MS;
	size_t n = pid < 0 ? 0 : read_answer(p[0], answer, sizeof answer,
					     until);
	close(p[0]);
	if (pid > 0)
		status = wait_bounded(pid, until);
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    n == strlen(UPGRADE_CHECK_LINE) + 1 &&
	    strncmp(answer, UPGRADE_CHECK_LINE "\n", n) == 0)
		return 0;
	log_msg(LOG_ERR, "upgrade: %s --upgrade-check did not answer \"%s\" "
		"(status %d): not upgrading, still serving", U.path,
		UPGRADE_CHECK_LINE, status);
	return -1;
}

int upgrade_request(long long now)
{
	if (W.pending)
		return 1;
	log_msg(LOG_NOTICE, "SIGUSR2: upgrading to %s", U.path);
	if (check_binary() != 0)
		return 0;
	W.pending = 1;
	W.give_up_at = now + UPGRADE_QUIET_MS;
	admit_hold(1);
	notify_send("RELOADING=1");
	return 1;
}

int upgrade_pending(void)
{
	return W.pending;
}

long long upgrade_due(long long now)
{
	if (!W.pending)
		return -1;
	return W.give_up_at > now ? 10 : 0; /* quiet is seen by looking */
}

static void resume_serving(const char *why)
{
	log_msg(LOG_ERR, "upgrade: %s: not upgraded, still serving", why);
	W.pending = 0;
	admit_hold(0);
	notify_send("READY=1");
}

/* fd open across the exec (on = 1) or not. */
static int keep_open(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFD, on ? fl & ~FD_CLOEXEC : fl | FD_CLOEXEC);
}

/* Leaves the state's descriptors open (or closed again) at exec. */
static int descriptors_across(const struct listeners *ls, int on)
{
	int rc = 0;
	struct brokerproc_state b;
	for (int i = 0; i < ls->n; i++)
		rc |= keep_open(ls->fd[i], on);
	brokerproc_export(&b);
	for (int i = 0; i < 2; i++)
		if (b.life[i] >= 0)
			rc |= keep_open(b.life[i], on);
	for (int i = 0; i < launchers_count(); i++) {
		pid_t pid;
		int fd;
		long long started;
		launchers_export(i, &pid, &fd, &started);
		if (fd >= 0)
			rc |= keep_open(fd, on);
	}
	return rc;
}

/* The environment the new natterd reads; 0, or -1 with errno. */
static int exec_env(int state_fd, int prev_fd)
{
	char num[24];
	const char *notify = notify_socket_name();
	snprintf(num, sizeof num, "%d", state_fd);
	if (setenv(UPGRADE_FD_ENV, num, 1) != 0)
		return -1;
	snprintf(num, sizeof num, "%d", prev_fd);
	if (setenv(UPGRADE_PREV_ENV, num, 1) != 0)
		return -1;
	return notify ? setenv("NOTIFY_SOCKET", notify, 1) : 0;
}

static void exec_env_undo(void)
{
	unsetenv(UPGRADE_FD_ENV);
	unsetenv(UPGRADE_PREV_ENV);
	unsetenv("NOTIFY_SOCKET");
}

/* Writes the state and execs; returns only when it could not. */
static void exec_new(const struct listeners *ls)
{
	sigset_t block, old;
	int prev = U.prev_fd >= 0 ? fcntl(U.prev_fd, F_DUPFD, 3) : -1;
	int state = upgrade_state_write(ls);
	if (state < 0 || descriptors_across(ls, 1) != 0 ||
	    exec_env(state, prev) != 0) {
		int e = errno;
		descriptors_across(ls, 0);
		exec_env_undo();
		if (state >= 0)
			close(state);
		if (prev >= 0)
			close(prev);
		errno = e;
		resume_serving(strerror(errno));
		return;
	}
	/* Signals wait, pending, for the new natterd's handlers. */
	sigemptyset(&block);
	for (const int *s = natterd_signals; *s; s++)
		sigaddset(&block, *s);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	log_msg(LOG_NOTICE, "upgrade: executing %s", U.path);
	execv(U.path, U.argv);
	int e = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	descriptors_across(ls, 0);
	exec_env_undo();
	close(state);
	if (prev >= 0)
		close(prev);
	resume_serving(strerror(e));
}

void upgrade_tick(const struct listeners *ls, long long now)
{
	if (!W.pending)
		return;
	if (sessions_in_use() == sessions_count() && launchers_quiet() &&
	    proxywait_idle()) {
		exec_new(ls);
		return;
	}
	if (now >= W.give_up_at)
		resume_serving("connections still being started");
}

/* One "session" line per session; 0, or -1 on a write error. */
static int write_sessions(FILE *f)
{
	for (unsigned i = 0; i < sessions_count(); i++) {
		pid_t pid;
		int li;
		long long start;
		const char *peer;
		sessions_at(i, &pid, &li, &start, &peer);
		if (fprintf(f, "session %ld %d %lld %s\n", (long)pid, li, start,
			    peer) < 0)
			return -1;
	}
	return 0;
}

int upgrade_state_write(const struct listeners *ls)
{
	struct brokerproc_state b;
	FILE *f = tmpfile();
	if (!f)
		return -1;
	int ok = fprintf(f, "%s\n", UPGRADE_CHECK_LINE) > 0;
	for (int i = 0; ok && i < ls->n; i++)
		ok = fprintf(f, "listener %d %d\n", ls->fd[i], ls->proxy[i]) > 0;
	brokerproc_export(&b);
	ok = ok && fprintf(f, "broker %ld %lld %d %llu %llu %d %d\n",
			   (long)b.pid, b.started, b.bound, b.dev, b.ino,
			   b.life[0], b.life[1]) > 0;
	for (int i = 0; ok && i < launchers_count(); i++) {
		pid_t pid;
		int fd;
		long long started;
		launchers_export(i, &pid, &fd, &started);
		ok = fprintf(f, "launcher %d %ld %d %lld\n", i, (long)pid, fd,
			     started) > 0;
	}
	ok = ok && write_sessions(f) == 0 && fprintf(f, "end\n") > 0 &&
	     fflush(f) == 0 && fseek(f, 0, SEEK_SET) == 0;
	int fd = ok ? dup(fileno(f)) : -1; /* without FD_CLOEXEC */
	int e = errno;
	fclose(f);
	errno = e;
	return fd;
}
