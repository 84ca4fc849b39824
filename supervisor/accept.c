/* accept.c — taking a connection from a listener; see listen.h. */
#include "listen.h"
#include "fdnew.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	/* close-on-exec, so that only the handler's dup2'd copies survive
	 * its exec; blocking, as a handler expects its descriptors 0, 1 */
	int fd = fdnew_accept(ls->fd[i], peer, len, 0);
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
