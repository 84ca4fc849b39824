/* accept.c — taking a connection from a listener; see listen.h. */
#define _GNU_SOURCE /* accept4 (POSIX.1-2024), in glibc since 2.10 */
#include "listen.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Close-on-exec so that only the handler's dup2'd copies survive its
 * exec, and blocking: BSD accept(2) passes the listener's O_NONBLOCK
 * on, accept4(2) does not. */
static int accept_cloexec(int lfd, struct sockaddr *peer, socklen_t *len)
{
#ifdef SOCK_CLOEXEC
	return accept4(lfd, peer, len, SOCK_CLOEXEC);
#else
	int fd = accept(lfd, peer, len);
	if (fd >= 0 && (io_set_cloexec(fd) != 0 || io_set_nonblock(fd, 0) != 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
#endif
}

static int opt_is_set(int fd, int level, int name)
{
	int v = 0;
	socklen_t len = sizeof v;
	return getsockopt(fd, level, name, &v, &len) == 0 && v != 0;
}

static void set_sockopts(int fd)
{
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		log_msg(LOG_INFO, "setsockopt: %s", strerror(errno));
}

int listener_accept(struct listeners *ls, int i, struct sockaddr *peer,
		    socklen_t *len)
{
	int fd = accept_cloexec(ls->fd[i], peer, len);
	if (fd < 0)
		return -1;
	if (ls->opts_inherited[i] < 0)
		ls->opts_inherited[i] = opt_is_set(fd, SOL_SOCKET, SO_KEEPALIVE) &&
					opt_is_set(fd, IPPROTO_TCP, TCP_NODELAY);
	if (!ls->opts_inherited[i])
		set_sockopts(fd);
	return fd;
}

int listener_local(const struct listeners *ls, int i, int fd,
		   struct endpoint *local)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (ls->local_fixed[i]) {
		*local = ls->local[i];
		return 0;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (addr_endpoint((struct sockaddr *)&ss, local) != 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return 0;
}
