/* fdline.c — a line from a descriptor, without reading past it. */
#include "fdline.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

/* Waits, as a blocking read would, for fd to have data: the descriptor
 * may be an inherited non-blocking one.  0, or -1 with errno. */
static int wait_readable(int fd, volatile sig_atomic_t *stop)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, -1) >= 0)
			return 0;
		if (errno != EINTR || (stop && *stop))
			return -1;
	}
}

ssize_t fdline_read(int fd, char *buf, size_t size,
		    volatile sig_atomic_t *stop)
{
	size_t n = 0;
	if (size == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[0] = '\0';
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !(stop && *stop))
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_readable(fd, stop) == 0)
			continue;
		if (r < 0)
			return -1;
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
