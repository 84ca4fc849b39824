/* fdpass.c — a message with one descriptor over a UNIX socket
 * (fdpass.h). */
#include "fdpass.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd,
		    int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do
		n = sendmsg(sock, &mh, flags);
	while (n < 0 && errno == EINTR);
	return n;
}

int fdpass_take(struct msghdr *mh, int *fd)
{
	int count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		/* the kernel's word, bounded by the buffer it wrote into
		 * (a system that truncates may leave a longer cmsg_len) */
		const unsigned char *data = CMSG_DATA(c);
		const unsigned char *end = (const unsigned char *)
			mh->msg_control + mh->msg_controllen;
		size_t len = c->cmsg_len > CMSG_LEN(0) ?
			     c->cmsg_len - CMSG_LEN(0) : 0;
		size_t room = data < end ? (size_t)(end - data) : 0;
		size_t n = (len < room ? len : room) / sizeof(int);
		for (size_t i = 0; i < n; i++, count++) {
			int got;
			memcpy(&got, data + i * sizeof(int), sizeof got);
			if (*fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	return count;
}

ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	*fd = -1;
	do {
#ifdef MSG_CMSG_CLOEXEC
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
#else
		n = recvmsg(sock, &mh, 0);
#endif
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		(void)fdpass_take(&mh, fd);
	return n;
}
