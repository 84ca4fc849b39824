/* test_fdnew.c — descriptors born non-blocking and close-on-exec, and
 * io_set_nonblock/io_set_cloexec leaving flags that are already right. */
#include "../../lib/fdnew.h"
#include "../../lib/io.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl >= 0 && (fl & FD_CLOEXEC);
}

static void pipes(void)
{
	int p[2];
	char c;
	CHECK(fdnew_pipe(p) == 0);
	CHECK(nonblocking(p[0]) && nonblocking(p[1]));
	CHECK(cloexec(p[0]) && cloexec(p[1]));
	/* non-blocking for real: an empty pipe says EAGAIN */
	CHECK(read(p[0], &c, 1) == -1 && errno == EAGAIN);
	close(p[0]);
	close(p[1]);
}

/* A listener on 127.0.0.1, a connection to it, and the accepted end. */
static void sockets(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	      listen(l, 1) == 0 &&
	      getsockname(l, (struct sockaddr *)&sin, &len) == 0);
	/* nothing to accept yet, and the listener blocks: only the
	 * flag on the new descriptor matters, so accept after connect */
	int c = fdnew_socket(AF_INET, SOCK_STREAM);
	CHECK(c >= 0 && nonblocking(c) && cloexec(c));
	int r = connect(c, (struct sockaddr *)&sin, sizeof sin);
	CHECK(r == 0 || errno == EINPROGRESS);
	int a = fdnew_accept(l, NULL, NULL, 1);
	CHECK(a >= 0 && nonblocking(a) && cloexec(a));
	char b;
	CHECK(read(a, &b, 1) == -1 && errno == EAGAIN);
	close(a);
	close(c);
	/* blocking asked (natterd's handlers): blocking, even from a
	 * non-blocking listener, and close-on-exec */
	CHECK(io_set_nonblock(l, 1) == 0);
	c = fdnew_socket(AF_INET, SOCK_STREAM);
	r = connect(c, (struct sockaddr *)&sin, sizeof sin);
	CHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd pl = { .fd = l, .events = POLLIN };
	CHECK(poll(&pl, 1, 5000) == 1);
	a = fdnew_accept(l, NULL, NULL, 0);
	CHECK(a >= 0 && !nonblocking(a) && cloexec(a));
	close(a);
	close(c);
	close(l);
	/* a bad listener: accept's error, and no descriptor */
	errno = 0;
	CHECK(fdnew_accept(-1, NULL, NULL, 1) == -1 && errno == EBADF);
}

static void set_flags(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(!nonblocking(p[0]) && !cloexec(p[0]));
	CHECK(io_set_nonblock(p[0], 1) == 0 && nonblocking(p[0]));
	CHECK(io_set_nonblock(p[0], 1) == 0 && nonblocking(p[0]));
	CHECK(io_set_nonblock(p[0], 0) == 0 && !nonblocking(p[0]));
	CHECK(io_set_cloexec(p[0]) == 0 && cloexec(p[0]));
	CHECK(io_set_cloexec(p[0]) == 0 && cloexec(p[0]));
	close(p[0]);
	close(p[1]);
	CHECK(io_set_cloexec(p[0]) == -1 && errno == EBADF);
	CHECK(io_set_nonblock(p[0], 1) == -1 && errno == EBADF);
}

int main(void)
{
	pipes();
	sockets();
	set_flags();
	return UNIT_DONE();
}
