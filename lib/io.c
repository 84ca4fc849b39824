/* io.c — the read/write loops every program shares. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

long long io_now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* CLOCK_MONOTONIC is required by POSIX; unreachable */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int io_is_socket(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

ssize_t io_read_some(int fd, void *buf, size_t len)
{
	ssize_t n = io_read(fd, buf, len);
	if (n > 0)
		return n;
	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -1;
}

ssize_t io_write_some(int fd, const void *buf, size_t len, int is_socket)
{
	for (;;) {
		ssize_t n;
		if (is_socket)
			n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

int io_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	long long deadline = timeout_ms < 0 ? 0 : io_now_ms() + timeout_ms;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int wait = -1;
		if (timeout_ms >= 0) {
			long long left = deadline - io_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			wait = (int)left;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

ssize_t io_read(int fd, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Each reads the flags first and writes them only if they change: a
 * descriptor received with MSG_CMSG_CLOEXEC, or accepted with the
 * flags, costs one system call, not two. */
int io_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	int want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return want == fl ? 0 : fcntl(fd, F_SETFL, want);
}

int io_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -1;
	return fl & FD_CLOEXEC ? 0 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}
