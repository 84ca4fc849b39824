/* broker.c — broker_run: set up, serve, tear down.  (Thin first cut:
 * accepts handlers and drops what they send.) */
#include "broker.h"
#include "io.h"
#include "log.h"
#include "selfpipe.h"
#include "sockdir.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const int broker_sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };

static void accept_some(int ep, int lfd)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return;
		struct epoll_event ev = { .events = EPOLLIN };
		ev.data.fd = fd;
		if (io_set_nonblock(fd, 1) != 0 || io_set_cloexec(fd) != 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			close(fd);
	}
}

static void drain(int ep, int fd)
{
	char buf[4096];
	ssize_t n = io_read(fd, buf, sizeof buf);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
	}
}

int broker_run(const struct broker_config *cfg)
{
	struct sockdir_bound bound;
	signal(SIGPIPE, SIG_IGN);
	int sfd = selfpipe_init(broker_sigs);
	int lfd = sockdir_listen(cfg->socket_path, &bound);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || lfd < 0 || ep < 0)
		return 1;
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	log_msg(LOG_INFO, "broker listening on %s", cfg->socket_path);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd)
				accept_some(ep, lfd);
			else if (fd == sfd) {
				unsigned m = selfpipe_drain();
				if (m & (1u << SIGTERM | 1u << SIGINT))
					goto out;
			} else
				drain(ep, fd);
		}
	}
out:
	sockdir_unlink(cfg->socket_path, &bound);
	close(lfd);
	close(ep);
	selfpipe_reset(broker_sigs);
	return 0;
}
