/* transfer_meet.c — the two data sessions of one transfer find each
 * other (transfer.h).  Each is its own natter-session process, started
 * by natterd (or inetd) for its own connection, so they meet at a
 * UNIX socket named after the transfer's key in the broker's socket
 * directory (0700: only the sessions' own uid can reach it).  The
 * first to come listens there; the second connects and hands over its
 * client's socket (SCM_RIGHTS), and the first relays both.
 *
 * The name appears only once its socket listens (bound to a temporary
 * name, then link(2)ed, as the broker's own socket is), so the second
 * never finds a name it cannot connect to, except a dead waiter's,
 * which it removes and tries again. */
#include "transfer.h"
#include "io.h"
#include "fdpass.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* DIR/xfer-KEY (and DIR/xfer-KEY.PID, the temporary name), DIR the
 * broker socket's directory.  0, or -1 (ENAMETOOLONG). */
static int meet_path(const char *broker_path, const char *key,
		     const char *suffix, struct sockaddr_un *sun)
{
	const char *slash = strrchr(broker_path, '/');
	int dirlen = slash ? (int)(slash - broker_path) : 1;
	const char *dir = slash ? broker_path : ".";
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	int n = snprintf(sun->sun_path, sizeof sun->sun_path, "%.*s/xfer-%s%s",
			 dirlen, dir, key, suffix);
	if (n < 0 || (size_t)n >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Hands fd 0 (our client's socket) to the session listening at sun. */
static int hand_over(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof *sun) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	char byte = 'x';
	int zero = 0;
	ssize_t n = fdpass_send(fd, &byte, 1, zero, MSG_NOSIGNAL);
	int e = errno;
	close(fd);
	errno = e;
	return n == 1 ? 0 : -1;
}

/* Takes the descriptor a hand_over sent on conn; -1 if none came. */
static int take_fd(int conn)
{
	char byte;
	int fd;
	ssize_t n = fdpass_recv(conn, &byte, 1, &fd);
	if (n != 1 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The descriptor sent on conn, waiting for it at most XFER_HAND_MS
 * (and not past deadline): the other half sends it as it connects, so
 * a connection that sends nothing (a stray process of the same user)
 * is dropped, and the wait goes on, instead of holding this session
 * in a read that never returns.  -1 if none came. */
static int handed(int conn, long long deadline)
{
	long long until = io_now_ms() + XFER_HAND_MS;
	if (until > deadline)
		until = deadline;
	for (;;) {
		long long left = until - io_now_ms();
		struct pollfd p = { .fd = conn, .events = POLLIN };
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0 ? take_fd(conn) : -1;
	}
}

/* Waits on lfd for the other half, at most XFER_WAIT_MS, giving up if
 * our own client goes (fd 0 readable: it sends nothing before OK). */
static int wait_other(int lfd, char *err, size_t errlen)
{
	long long deadline = io_now_ms() + XFER_WAIT_MS;
	for (;;) {
		long long left = deadline - io_now_ms();
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		int r = left > 0 ? poll(p, 2, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "the other side did not connect "
				 "within %d s", XFER_WAIT_MS / 1000);
			return -1;
		}
		if (p[1].revents) {
			snprintf(err, errlen, "the client went away");
			return -1;
		}
		int conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			continue; /* EINTR, ECONNABORTED: wait on */
		int fd = handed(conn, deadline);
		close(conn);
		if (fd >= 0)
			return fd;
	}
}

/* Listens at sun, made visible by a link from a temporary name.  The
 * listener, -1 with errno EEXIST when another session was first. */
static int listen_at(const struct sockaddr_un *sun,
		     const struct sockaddr_un *tmp)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)unlink(tmp->sun_path); /* ours: the pid is in its name */
	int ok = bind(fd, (const struct sockaddr *)tmp, sizeof *tmp) == 0 &&
		 listen(fd, 1) == 0 && link(tmp->sun_path, sun->sun_path) == 0;
	int e = errno;
	(void)unlink(tmp->sun_path);
	if (!ok) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int transfer_meet(const char *broker_path, const struct transfer *t,
		  char *err, size_t errlen)
{
	struct sockaddr_un sun, tmp;
	char suffix[32];
	snprintf(suffix, sizeof suffix, ".%ld", (long)getpid());
	if (meet_path(broker_path, t->key, "", &sun) != 0 ||
	    meet_path(broker_path, t->key, suffix, &tmp) != 0) {
		snprintf(err, errlen, "the server's directory name is too long");
		return -1;
	}
	for (int tries = 0; tries < 3; tries++) {
		int lfd = listen_at(&sun, &tmp);
		if (lfd >= 0) {
			int fd = wait_other(lfd, err, errlen);
			(void)unlink(sun.sun_path);
			close(lfd);
			return fd;
		}
		if (errno != EEXIST)
			break;
		if (hand_over(&sun) == 0)
			return -2;
		if (errno != ECONNREFUSED && errno != ENOENT)
			break;
		if (errno == ECONNREFUSED) /* its waiter died: a stale name */
			(void)unlink(sun.sun_path);
	}
	snprintf(err, errlen, "the server cannot meet the other side: %s",
		 strerror(errno));
	return -1;
}
