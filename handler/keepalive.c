/* keepalive.c — short TCP keepalive on the person's socket
 * (keepalive.h). */
#include "keepalive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int set(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof v);
}

int keepalive_set(int fd)
{
	if (set(fd, SOL_SOCKET, SO_KEEPALIVE, 1) != 0)
		return -1;
#ifdef TCP_KEEPIDLE
	if (set(fd, IPPROTO_TCP, TCP_KEEPIDLE, KEEPALIVE_IDLE_S) != 0)
		return -1;
#endif
#ifdef TCP_KEEPINTVL
	if (set(fd, IPPROTO_TCP, TCP_KEEPINTVL, KEEPALIVE_INTVL_S) != 0)
		return -1;
#endif
#ifdef TCP_KEEPCNT
	if (set(fd, IPPROTO_TCP, TCP_KEEPCNT, KEEPALIVE_COUNT) != 0)
		return -1;
#endif
	return 0;
}
