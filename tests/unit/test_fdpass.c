/* test_fdpass.c — a message with one descriptor (lib/fdpass.h): it
 * arrives with its bytes; a message without one gives -1; extra
 * descriptors sent with a message are closed, not leaked. */
#include "fdpass.h"
#include "unit.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Sends "xy" with two descriptors attached, by hand. */
static int send_two(int sock, int fd1, int fd2)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	int fds[2] = { fd1, fd2 };
	struct iovec iov = { "xy", 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	return sendmsg(sock, &mh, 0) == 2 ? 0 : -1;
}

int main(void)
{
	int sv[2], p[2];
	char buf[8];
	int fd = -2;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(pipe(p) == 0);
	/* one descriptor: the same pipe on the other side */
	CHECK(fdpass_send(sv[0], "abc", 3, p[1], 0) == 3);
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 3 &&
	      memcmp(buf, "abc", 3) == 0 && fd >= 0 && fd != p[1]);
	CHECK(write(fd, "!", 1) == 1 && read(p[0], buf, 1) == 1 &&
	      buf[0] == '!');
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);
	/* none: -1 */
	CHECK(write(sv[0], "no", 2) == 2);
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 2 && fd == -1);
	/* two: the first kept, the second closed (the pipe's write end
	 * then has only its own and the first copy) */
	CHECK(send_two(sv[0], p[1], p[1]) == 0);
	int before = dup(0);
	close(before); /* the lowest free number before receiving */
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 2 && fd == before);
	int next = dup(0); /* the second's number is free again */
	CHECK(next == fd + 1);
	close(next);
	close(fd);
	/* end of file: 0 */
	close(sv[0]);
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 0 && fd == -1);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	return UNIT_DONE();
}
