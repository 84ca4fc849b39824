/* test_keepalive.c — the person's TCP socket gets short keepalive
 * timers (handler/keepalive.h); a socket that is not TCP says no. */
#include "unit.h"
#include "../../handler/keepalive.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int get(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof v;
	return getsockopt(fd, level, opt, &v, &len) == 0 ? v : -1;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET,
							     SOCK_STREAM, 0);
	CHECK(l >= 0 && c >= 0);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&a, &alen) == 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK(get(s, SOL_SOCKET, SO_KEEPALIVE) == 0);
	CHECK(keepalive_set(s) == 0);
	CHECK(get(s, SOL_SOCKET, SO_KEEPALIVE) == 1);
#ifdef TCP_KEEPIDLE
	CHECK(get(s, IPPROTO_TCP, TCP_KEEPIDLE) == KEEPALIVE_IDLE_S);
	CHECK(get(s, IPPROTO_TCP, TCP_KEEPINTVL) == KEEPALIVE_INTVL_S);
	CHECK(get(s, IPPROTO_TCP, TCP_KEEPCNT) == KEEPALIVE_COUNT);
#endif
	CHECK(KEEPALIVE_BOUND_S <= 120);
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(keepalive_set(p[0]) == -1);
	return UNIT_DONE();
}
