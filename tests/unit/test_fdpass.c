/* test_fdpass.c — a message with one descriptor (lib/fdpass.h): it
 * arrives with its bytes; a message without one gives -1; extra
 * descriptors sent with a message are closed, not leaked, also past
 * FDPASS_MAX (cut off by the kernel: MSG_CTRUNC). */
#include "fdpass.h"
#include "unit.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MANY (FDPASS_MAX + 2)

/* Sends "xy" with n (at most MANY) copies of fd attached, by hand. */
static int send_n(int sock, int fd, int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MANY * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	int fds[MANY];
	for (int i = 0; i < n; i++)
		fds[i] = fd;
	struct iovec iov = { "xy", 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = CMSG_SPACE((size_t)n *
							  sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	return sendmsg(sock, &mh, 0) == 2 ? 0 : -1;
}

#define SEEN 64 /* descriptors looked at: far past what this opens */

/* Which of the first SEEN descriptors are open, as bits in open. */
static void open_ones(unsigned char *open)
{
	for (int i = 0; i < SEEN; i++)
		open[i] = fcntl(i, F_GETFD) >= 0;
}

/* A control message whose cmsg_len claims more descriptors than the
 * buffer holds (a kernel that truncates without fixing it): only what
 * is in the buffer is taken. */
static void len_past_the_buffer(void)
{
	union {
		struct cmsghdr align;
		unsigned char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	int p[2], fd = -1;
	CHECK(pipe(p) == 0);
	memset(&ctl, 0xff, sizeof ctl); /* past the one: "descriptor" -1 */
	struct msghdr mh = { .msg_control = ctl.buf,
			     .msg_controllen = CMSG_LEN(sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	CHECK(c != NULL);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(4 * sizeof(int));
	memcpy(CMSG_DATA(c), &p[0], sizeof p[0]);
	CHECK(fdpass_take(&mh, &fd) == 1);
	CHECK(fd == p[0]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	len_past_the_buffer();
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
	CHECK(send_n(sv[0], p[1], 2) == 0);
	int before = dup(0);
	close(before); /* the lowest free number before receiving */
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 2 && fd == before);
	int next = dup(0); /* the second's number is free again */
	CHECK(next == fd + 1);
	close(next);
	close(fd);
	/* more than FDPASS_MAX: the kernel cuts the rest off (MSG_CTRUNC);
	 * the first is kept, and none of the others is left open */
	unsigned char was[SEEN], is[SEEN];
	CHECK(send_n(sv[0], p[1], MANY) == 0);
	open_ones(was);
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 2 && fd >= 0 &&
	      fd < SEEN && !was[fd]);
	open_ones(is);
	is[fd] = 0; /* the one kept: the only one more */
	CHECK(memcmp(was, is, sizeof was) == 0);
	close(fd);
	/* end of file: 0 */
	close(sv[0]);
	CHECK(fdpass_recv(sv[1], buf, sizeof buf, &fd) == 0 && fd == -1);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	return UNIT_DONE();
}
