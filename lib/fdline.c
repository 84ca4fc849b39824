/* fdline.c — a line from a descriptor, without reading past it. */
#include "fdline.h"

#include <errno.h>
#include <unistd.h>

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
