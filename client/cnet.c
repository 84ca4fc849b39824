/* cnet.c — getaddrinfo, then each address in turn, each bounded. */
#include "cnet.h"
#include "io.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Waits for a non-blocking connect to finish.  0, or -1 with errno. */
static int finish_connect(int fd)
{
	long long deadline = io_now_ms() + CNET_CONNECT_TIMEOUT_MS;
	for (;;) {
		long long left = deadline - io_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			break;
	}
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int try_address(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (io_set_nonblock(fd, 1) != 0 || io_set_cloexec(fd) != 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		if (finish_connect(fd) != 0)
			goto fail;
	}
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int cnet_connect(const char *host, const char *port, int family,
		 char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		const char *why = r == EAI_SYSTEM ? strerror(errno)
						  : gai_strerror(r);
		snprintf(err, errlen, "cannot resolve %s port %s: %s", host,
			 port, why);
		return -1;
	}
	int fd = -1, last = ECONNREFUSED;
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = try_address(ai);
		if (fd < 0)
			last = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
			 port, strerror(last));
	return fd;
}
