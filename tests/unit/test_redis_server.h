/* test_redis_server.h — a real redis-server for a unit test: started on
 * a free loopback port in a temporary directory (no persistence), killed
 * or stopped, started again on the same port; and a blocking command
 * helper for the test's own look at the data.  Header-only: each test
 * binary includes it once. */
#ifndef NATTER_TEST_REDIS_SERVER_H
#define NATTER_TEST_REDIS_SERVER_H

#include "../../broker/evloop.h"
#include "../../broker/resp/redis.h"
#include "io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct rserver {
	char dir[64];
	char port[16];
	char spec[64];          /* 127.0.0.1:PORT */
	char sock[128];         /* its UNIX socket, DIR/redis.sock */
	char password[64];      /* "" none */
	pid_t pid;
};

/* A port nobody listens on now (the kernel's pick, then closed). */
static inline int rserver_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

/* 1 once something accepts a TCP connection on the port (at most 5 s:
 * redis-server listens once it is ready). */
static inline int rserver_wait(const struct rserver *s)
{
	for (int i = 0; i < 250; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((unsigned short)atoi(s->port));
		int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa,
					    sizeof sa) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return 1;
		usleep(20 * 1000); /* nothing to wait on but the port */
	}
	return 0;
}

/* Starts redis-server (again on the same port when s->port is set);
 * password NULL or "" for none.  0 once it accepts, else -1. */
static inline int rserver_start(struct rserver *s, const char *password)
{
	if (!s->port[0]) {
		int port = rserver_free_port();
		snprintf(s->dir, sizeof s->dir, "/tmp/natter-rstore-XXXXXX");
		if (port < 0 || !mkdtemp(s->dir))
			return -1;
		snprintf(s->port, sizeof s->port, "%d", port);
		snprintf(s->spec, sizeof s->spec, "127.0.0.1:%d", port);
		snprintf(s->sock, sizeof s->sock, "%s/redis.sock", s->dir);
		snprintf(s->password, sizeof s->password, "%s",
			 password ? password : "");
	}
	s->pid = fork();
	if (s->pid == 0) {
		char logf[128];
		snprintf(logf, sizeof logf, "%s/redis.log", s->dir);
		execlp("redis-server", "redis-server", "--port", s->port,
		       "--bind", "127.0.0.1", "--dir", s->dir, "--save", "",
		       "--appendonly", "no", "--logfile", logf,
		       "--unixsocket", s->sock, "--unixsocketperm", "700",
		       s->password[0] ? "--requirepass" : (char *)NULL,
		       s->password, (char *)NULL);
		_exit(127);
	}
	return s->pid > 0 && rserver_wait(s) ? 0 : -1;
}

/* Ends the server with sig (SIGKILL: a crash) and reaps it. */
static inline void rserver_signal(struct rserver *s, int sig)
{
	if (s->pid > 0) {
		kill(s->pid, sig);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
}

static inline void rserver_cleanup(struct rserver *s)
{
	char cmd[128];
	rserver_signal(s, SIGTERM);
	if (!s->dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
}

/* What rserver_cmd got back: the reply's type, integer, and its first
 * bytes (a string) or length (an array). */
struct rreply {
	int done, lost;
	enum resp_type type;
	long long integer;
	size_t n;
	char text[256];
};

static inline void rserver_keep(void *ctx, const struct resp_value *v)
{
	struct rreply *a = ctx;
	a->done = 1;
	if (!v) {
		a->lost = 1;
		return;
	}
	a->type = v->type;
	a->integer = v->integer;
	a->n = v->type == RESP_ARRAY ? v->n : v->len;
	if (v->str)
		snprintf(a->text, sizeof a->text, "%.*s",
			 (int)(v->len < 255 ? v->len : 255), v->str);
}

/* One command, waited for (5 s at most), on a connection of its own.
 * lens NULL: the arguments are NUL-terminated.  0, or -1. */
static inline int rserver_cmd(const struct rserver *s, struct rreply *a,
			      int argc, const char *const *argv,
			      const size_t *lens)
{
	struct redis_addr addr;
	char why[200];
	size_t l[RESP_ARGS_MAX];
	memset(a, 0, sizeof *a);
	if (redis_addr_parse(&addr, s->spec, why, sizeof why) < 0)
		return -1;
	for (int i = 0; i < argc; i++)
		l[i] = lens ? lens[i] : strlen(argv[i]);
	struct redis *r = redis_new();
	if (!r || redis_open(r, &addr, s->password[0] ? s->password : NULL)
	    < 0 || redis_command(r, argc, argv, l, rserver_keep, a) < 0) {
		redis_free(r);
		return -1;
	}
	long long end = io_now_ms() + 5000;
	while (!a->done && redis_state(r) != REDIS_CLOSED &&
	       io_now_ms() < end) {
		unsigned want = redis_events(r);
		struct pollfd p = { .fd = redis_fd(r),
				    .events = (short)((want & EV_IN ? POLLIN : 0) |
						      (want & EV_OUT ? POLLOUT : 0)) };
		if (poll(&p, 1, 50) <= 0)
			continue;
		redis_ready(r, (p.revents & POLLIN ? EV_IN : 0) |
			       (p.revents & POLLOUT ? EV_OUT : 0) |
			       (p.revents & (POLLERR | POLLHUP) ? EV_ERR : 0));
	}
	redis_free(r);
	return a->done && !a->lost ? 0 : -1;
}

#endif
