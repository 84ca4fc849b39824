/* fdline.c — a line from a descriptor, without reading past it. */
#include "fdline.h"

#include <errno.h>
#include <poll.h>
#include <sys/select.h>
#include <unistd.h>

/* Waits, as a blocking read would, for fd to have data: the descriptor
 * may be an inherited non-blocking one.  0, or -1 with errno. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Waits for fd to have data, the stop signals unblocked only for the
 * wait (pselect sets the mask and waits in one step, so a signal
 * pending from before is delivered at once and ends the wait).
 * 0 when fd is readable, or -1 with errno, EINTR when stopped. */
static int wait_or_stop(int fd, const struct fdline_stop *stop)
{
	for (;;) {
		fd_set in;
		if (*stop->flag) {
			errno = EINTR;
			return -1;
		}
		FD_ZERO(&in);
		FD_SET(fd, &in);
		if (pselect(fd + 1, &in, NULL, NULL, NULL,
			    stop->wait_mask) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* One byte into *c: 1, 0 at the end of input, or -1 with errno. */
static ssize_t read_byte(int fd, char *c, const struct fdline_stop *stop)
{
	for (;;) {
		if (stop && wait_or_stop(fd, stop) != 0)
			return -1;
		ssize_t r = read(fd, c, 1);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* with stop, the loop's pselect waits */
		if (!stop && wait_readable(fd) != 0)
			return -1;
	}
}

ssize_t fdline_read(int fd, char *buf, size_t size,
		    const struct fdline_stop *stop)
{
	size_t n = 0;
	if (size == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[0] = '\0';
	if (stop && (fd < 0 || fd >= FD_SETSIZE)) {
		errno = fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	for (;;) {
		char c;
		ssize_t r = read_byte(fd, &c, stop);
		if (r < 0) {
			buf[n] = '\0';
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			buf[n] = '\0';
			errno = EMSGSIZE;
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}
