/* fdnew.c — descriptors born non-blocking and close-on-exec; see
 * fdnew.h. */
#define _GNU_SOURCE /* pipe2, accept4 (POSIX.1-2024): glibc 2.36 wants it */
#include "fdnew.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC) && defined(O_CLOEXEC) && \
    (defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
     defined(__OpenBSD__) || defined(__DragonFly__))
#define FDNEW_ATOMIC 1
#endif

#ifndef FDNEW_ATOMIC
/* fd close-on-exec and non-blocking or not (both set: BSD's accept(2)
 * passes the listener's O_NONBLOCK on), or closed and -1 (errno kept). */
static int flags_after(int fd, int nonblock)
{
	if (fd < 0 || (io_set_nonblock(fd, nonblock) == 0 &&
		       io_set_cloexec(fd) == 0))
		return fd;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
#endif

int fdnew_pipe(int p[2])
{
#ifdef FDNEW_ATOMIC
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
#else
	if (pipe(p) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (io_set_nonblock(p[i], 1) != 0 || io_set_cloexec(p[i]) != 0) {
			int saved = errno;
			close(p[0]);
			close(p[1]);
			p[0] = p[1] = -1; /* nothing left for a caller to close */
			errno = saved;
			return -1;
		}
	return 0;
#endif
}

int fdnew_socket(int domain, int type)
{
#ifdef FDNEW_ATOMIC
	return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	return flags_after(socket(domain, type, 0), 1);
#endif
}

int fdnew_accept(int lfd, struct sockaddr *peer, socklen_t *len,
		 int nonblock)
{
#ifdef FDNEW_ATOMIC
	return accept4(lfd, peer, len,
		       SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
#else
	return flags_after(accept(lfd, peer, len), nonblock);
#endif
}
