/* daemon.c — fork, setsid, fork, and tell the starter when ready. */
#include "daemon.h"
#include "exitcode.h"
#include "fatal.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* The daemon's end of the pipe to its starter: one byte, 0 once the
 * daemon serves, else the status it exits with. */
static int ready_fd = -1;

/* The starter: waits for the daemon's byte, or for the pipe to close
 * without it. */
static void wait_for_daemon(int fd, pid_t middle)
{
	unsigned char b;
	int st;
	ssize_t n = io_read(fd, &b, 1);
	while (waitpid(middle, &st, 0) < 0 && errno == EINTR)
		;
	_exit(n == 1 ? b : EXIT_TEMP);
}

static void tell_starter(int status)
{
	unsigned char b = (unsigned char)status;
	if (ready_fd < 0)
		return;
	if (io_write_all(ready_fd, &b, 1, 1000) != 0) {
		/* The starter is gone: nobody left to tell. */
	}
	close(ready_fd);
	ready_fd = -1;
}

void daemon_detach(void)
{
	int p[2];
	if (pipe(p) != 0)
		fatal_errno(EXIT_TEMP, "pipe");
	pid_t pid = fork();
	if (pid < 0)
		fatal_errno(EXIT_TEMP, "fork");
	if (pid > 0) {
		close(p[1]);
		wait_for_daemon(p[0], pid);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal_errno(EXIT_TEMP, "setsid");
	pid = fork();
	if (pid < 0)
		fatal_errno(EXIT_TEMP, "fork");
	if (pid > 0)
		_exit(0);
	if (io_set_cloexec(p[1]) != 0)
		fatal_errno(EXIT_TEMP, "fcntl");
	ready_fd = p[1];
	fatal_on_status(tell_starter);
}

int daemon_quiet(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = chdir("/");
	for (int i = 0; i < 3 && r == 0; i++)
		if (dup2(fd, i) != i)
			r = -1;
	if (fd > 2)
		close(fd);
	return r;
}

int daemon_ready(void)
{
	if (daemon_quiet() != 0)
		return -1;
	if (ready_fd >= 0) {
		if (io_write_all(ready_fd, "", 1, 1000) != 0)
			return -1;
		close(ready_fd);
		ready_fd = -1;
	}
	return 0;
}

void daemon_forget(void)
{
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
}
