/* password.c — the first line of a file or descriptor. */
#include "password.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Waits, as a blocking read would, for fd to have data.  0, or -1. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, -1);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

int password_from_fd(int fd, char *buf, size_t size, char *err,
		     size_t errlen)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = io_read(fd, &c, 1); /* stop at the line's end */
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_readable(fd) == 0)
			continue; /* an inherited non-blocking descriptor */
		if (r < 0) {
			snprintf(err, errlen, "cannot read the password: %s",
				 strerror(errno));
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			snprintf(err, errlen, "the password is longer than "
				 "%zu bytes", size - 1);
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

int password_from_file(const char *path, char *buf, size_t size,
		       char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	int r = password_from_fd(fd, buf, size, err, errlen);
	if (close(fd) != 0 && r == 0) {
		snprintf(err, errlen, "cannot close %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return r;
}
