/* test_fdline.c — fdline_read: a line and no more, and a stop signal
 * noticed whenever it comes, before the call, between bytes or during
 * the wait, never blocking the read.  A hang is caught by alarm(2):
 * SIGALRM's default action ends the test, which the runner reports. */
#include "../../lib/fdline.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#define WATCHDOG 10 /* seconds for the whole test */

static volatile sig_atomic_t stopped;	/* set by SIGUSR1, the stop */
static volatile sig_atomic_t others;	/* SIGUSR2s, not a stop */

static void on_stop(int sig)
{
	stopped = sig;
}

static void on_other(int sig)
{
	(void)sig;
	others++;
}

static sigset_t wait_mask;	/* the mask with SIGUSR1 unblocked */
static const struct fdline_stop stop = { &stopped, &wait_mask };

/* What is left to read in a pipe whose write end is closed. */
static int rest_is(int fd, const char *want)
{
	char got[64];
	ssize_t n = read(fd, got, sizeof got - 1);
	if (n < 0)
		return 0;
	got[n] = '\0';
	return strcmp(got, want) == 0;
}

/* A pipe holding s, its write end left open unless close_w. */
static int pipe_with(int p[2], const char *s, int close_w)
{
	if (pipe(p) != 0)
		return -1;
	if (write(p[1], s, strlen(s)) != (ssize_t)strlen(s))
		return -1;
	if (close_w && close(p[1]) != 0)
		return -1;
	return 0;
}

/* A child that sends sig to this process, then writes s (if any) to
 * fd and exits: the signal comes at a moment the parent does not
 * choose.  The child's pid, or -1. */
static pid_t signal_then_write(int sig, int fd, const char *s)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (kill(getppid(), sig) != 0)
		_exit(1);
	if (s && write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(1);
	_exit(0);
}

static int child_ok(pid_t pid)
{
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

static void plain_lines(void)
{
	char buf[8];
	int p[2];
	CHECK(pipe_with(p, "pw\r\nrest", 1) == 0);
	CHECK(fdline_read(p[0], buf, sizeof buf, NULL) == 2);
	CHECK(strcmp(buf, "pw") == 0);
	CHECK(rest_is(p[0], "rest"));
	close(p[0]);
	/* too long: EMSGSIZE; the bytes after the first that did not fit
	 * are left unread */
	CHECK(pipe_with(p, "1234567890\n", 1) == 0);
	errno = 0;
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == -1);
	CHECK(errno == EMSGSIZE && strcmp(buf, "1234567") == 0);
	CHECK(rest_is(p[0], "90\n"));
	close(p[0]);
	/* the end of input ends the line */
	CHECK(pipe_with(p, "last", 1) == 0);
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == 4);
	CHECK(strcmp(buf, "last") == 0);
	close(p[0]);
}

/* The handler ran before the call, as when the signal comes between
 * two bytes: nothing is read, even with input there, and with none the
 * call does not wait for any (a read would block for ever). */
static void stopped_before(void)
{
	char buf[16];
	int p[2];
	stopped = 0;
	CHECK(sigprocmask(SIG_SETMASK, &wait_mask, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0 && stopped == SIGUSR1);
	CHECK(pipe_with(p, "pw\n", 0) == 0);
	errno = 0;
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == -1);
	CHECK(errno == EINTR && buf[0] == '\0');
	CHECK(read(p[0], buf, 3) == 3 && memcmp(buf, "pw\n", 3) == 0);
	errno = 0;
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == -1);
	CHECK(errno == EINTR);
	close(p[0]);
	close(p[1]);
}

/* The signal came while blocked, not yet delivered: the wait takes it
 * at once.  Then the caller's mask is as it was. */
static void pending_at_the_call(const sigset_t *blocked)
{
	char buf[16];
	int p[2];
	sigset_t now;
	stopped = 0;
	CHECK(sigprocmask(SIG_SETMASK, blocked, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0 && stopped == 0);
	CHECK(pipe(p) == 0);
	errno = 0;
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == -1);
	CHECK(errno == EINTR && stopped == SIGUSR1);
	CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
	CHECK(sigismember(&now, SIGUSR1) == 1);
	close(p[0]);
	close(p[1]);
}

/* Sent by another process at any moment, before the wait or during
 * it, with no input ever coming: EINTR. */
static void sent_while_waiting(void)
{
	char buf[16];
	int p[2];
	stopped = 0;
	CHECK(pipe(p) == 0);
	pid_t pid = signal_then_write(SIGUSR1, -1, NULL);
	errno = 0;
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == -1);
	CHECK(errno == EINTR && stopped == SIGUSR1);
	CHECK(child_ok(pid));
	close(p[0]);
	close(p[1]);
}

/* A signal that is not a stop interrupts the wait, which goes on; a
 * non-blocking descriptor is waited on as a blocking one would be. */
static void other_signal_and_nonblocking(void)
{
	char buf[16];
	int p[2];
	stopped = 0;
	others = 0;
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	pid_t pid = signal_then_write(SIGUSR2, p[1], "ok\nmore");
	CHECK(fdline_read(p[0], buf, sizeof buf, &stop) == 2);
	CHECK(strcmp(buf, "ok") == 0 && stopped == 0);
	CHECK(child_ok(pid) && others == 1);
	close(p[1]);
	CHECK(rest_is(p[0], "more"));
	close(p[0]);
	/* the same without a stop: poll(2) waits */
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	pid = signal_then_write(SIGUSR2, p[1], "nb\n");
	CHECK(fdline_read(p[0], buf, sizeof buf, NULL) == 2);
	CHECK(strcmp(buf, "nb") == 0 && child_ok(pid));
	close(p[0]);
	close(p[1]);
}

/* pselect(2) cannot watch fd FD_SETSIZE or more; nothing is touched. */
static void descriptor_bounds(void)
{
	char buf[4];
	errno = 0;
	CHECK(fdline_read(FD_SETSIZE, buf, sizeof buf, &stop) == -1);
	CHECK(errno == EINVAL && buf[0] == '\0');
	errno = 0;
	CHECK(fdline_read(-1, buf, sizeof buf, &stop) == -1 && errno == EBADF);
}

int main(void)
{
	struct sigaction sa;
	sigset_t blocked;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	sa.sa_handler = on_other;
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
	/* as natter-passwd: the stop signal blocked but while waiting */
	CHECK(sigprocmask(SIG_SETMASK, NULL, &wait_mask) == 0);
	sigdelset(&wait_mask, SIGUSR1);
	blocked = wait_mask;
	sigaddset(&blocked, SIGUSR1);
	CHECK(sigprocmask(SIG_SETMASK, &blocked, NULL) == 0);
	alarm(WATCHDOG);
	plain_lines();
	stopped_before();
	pending_at_the_call(&blocked);
	sent_while_waiting();
	other_signal_and_nonblocking();
	descriptor_bounds();
	return UNIT_DONE();
}
