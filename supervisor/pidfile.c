/* pidfile.c — the locked pid file. */
#include "pidfile.h"
#include "exitcode.h"
#include "fatal.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pid_fd = -1;
static char pid_path[4096];

void pidfile_default(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (getuid() == 0)
		snprintf(buf, len, "/run/natterd.pid");
	else if (xdg && xdg[0] == '/' && strlen(xdg) < len - 16)
		snprintf(buf, len, "%s/natterd.pid", xdg);
	else
		snprintf(buf, len, "/tmp/natterd-%lu.pid", (unsigned long)getuid());
}

static void lock_whole(int fd, const char *path)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return;
	if (errno != EAGAIN && errno != EACCES)
		fatal_errno(EXIT_TEMP, "cannot lock pid file %s", path);
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		fatal(EXIT_TEMP, "already running (pid %ld holds %s)",
		      (long)fl.l_pid, path);
	fatal(EXIT_TEMP, "already running (%s is locked)", path);
}

void pidfile_take(const char *path)
{
	char line[32];
	if (strlen(path) >= sizeof pid_path)
		fatal(EXIT_USAGE, "pid file name too long: %s", path);
	/* O_NOFOLLOW: the default lives in /tmp for ordinary users. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		fatal_errno(EXIT_TEMP, "cannot open pid file %s", path);
	lock_whole(fd, path);
	pid_fd = fd;
	snprintf(pid_path, sizeof pid_path, "%s", path);
	fatal_on_exit(pidfile_release);
	int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || io_write_all(fd, line, (size_t)n, -1) != 0)
		fatal_errno(EXIT_TEMP, "cannot write pid file %s", path);
}

void pidfile_release(void)
{
	if (pid_fd < 0)
		return;
	if (unlink(pid_path) != 0 && ftruncate(pid_fd, 0) != 0) {
		/* Nothing more to do: the lock goes with the close. */
	}
	close(pid_fd);
	pid_fd = -1;
}

void pidfile_forget(void)
{
	if (pid_fd >= 0)
		close(pid_fd);
	pid_fd = -1;
}
