/* resolve.c — peers' host names in the launchers; see resolve.h. */
#include "resolve.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct pending {
	struct launch_req req;
	int fd;                  /* the connection */
	int pipe;                /* the resolver's answer; -1 once read */
	pid_t pid;               /* the resolver; 0 once reaped */
	long long deadline;
	size_t len;
	char name[RESOLVE_NAME_MAX];
};

static struct {
	int on;
	resolve_lookup_fn *lookup;  /* resolve_lookup but in unit tests */
	struct pending q[RESOLVE_PENDING_MAX]; /* in arrival order */
	int n;
} R;

void resolve_use_lookup(resolve_lookup_fn *fn)
{
	R.lookup = fn;
}

void resolve_enable(void)
{
	R.on = 1;
}

int resolve_enabled(void)
{
	return R.on;
}

/* A plain host name: no byte a log or a shell would take otherwise. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < RESOLVE_NAME_MAX - 1 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-._") == n;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	return a->sa_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

int resolve_lookup(const char *ip, char *name, size_t size)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST,
				  .ai_socktype = SOCK_STREAM }, *peer, *fwd;
	char host[NI_MAXHOST];
	int found = 0;
	if (getaddrinfo(ip, NULL, &hints, &peer) != 0)
		return -1;
	if (getnameinfo(peer->ai_addr, peer->ai_addrlen, host, sizeof host,
			NULL, 0, NI_NAMEREQD) == 0 && name_ok(host) &&
	    strlen(host) < size) {
		hints.ai_flags = 0;
		if (getaddrinfo(host, NULL, &hints, &fwd) == 0) {
			for (struct addrinfo *a = fwd; a && !found; a = a->ai_next)
				found = same_addr(a->ai_addr, peer->ai_addr);
			freeaddrinfo(fwd);
		}
	}
	freeaddrinfo(peer);
	if (!found)
		return -1;
	memcpy(name, host, strlen(host) + 1); /* fits: checked above */
	return 0;
}

/* The resolver: the look-ups, the name (if any) on fd w, gone. */
_Noreturn static void resolver(const char *ip, int w, int sock)
{
	char name[RESOLVE_NAME_MAX];
	if (sock >= 0)
		close(sock); /* natterd must see the launcher's end alone */
	for (int i = 0; i < R.n; i++) {
		close(R.q[i].fd);
		if (R.q[i].pipe >= 0)
			close(R.q[i].pipe);
	}
	if ((R.lookup ? R.lookup : resolve_lookup)(ip, name, sizeof name) == 0)
		(void)io_write_all(w, name, strlen(name), -1);
	_exit(0);
}

int resolve_begin(const struct launch_req *req, int fd, int sock,
		  long long now)
{
	int p[2];
	if (R.n == RESOLVE_PENDING_MAX) {
		log_msg(LOG_WARNING, "launcher: %d names pending; %s unnamed",
			R.n, req->remote_ip);
		return -1;
	}
	if (pipe(p) != 0 || io_set_cloexec(p[0]) != 0 ||
	    io_set_nonblock(p[0], 1) != 0) {
		log_msg(LOG_WARNING, "launcher: pipe: %s", strerror(errno));
		return -1; /* a pipe left open here: only under EMFILE */
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		resolver(req->remote_ip, p[1], sock);
	}
	int err = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		log_msg(LOG_WARNING, "launcher: fork: %s", strerror(err));
		return -1;
	}
	struct pending *e = &R.q[R.n++];
	*e = (struct pending){ .req = *req, .fd = fd, .pipe = p[0], .pid = pid,
			       .deadline = now + RESOLVE_TIMEOUT_MS };
	return 0;
}

int resolve_pollfds(struct pollfd *pfd)
{
	int k = 0;
	for (int i = 0; i < R.n; i++)
		if (R.q[i].pipe >= 0)
			pfd[k++] = (struct pollfd){ .fd = R.q[i].pipe,
						    .events = POLLIN };
	return k;
}

int resolve_timeout(long long now)
{
	if (R.n == 0)
		return -1;
	long long t = R.q[0].deadline - now;
	return t < 0 ? 0 : (int)t;
}

/* Reads what e's resolver wrote; the pipe is closed at its end. */
static void take_answer(struct pending *e)
{
	for (;;) {
		ssize_t r = io_read_some(e->pipe, e->name + e->len,
					 sizeof e->name - 1 - e->len);
		if (r > 0 && e->len + (size_t)r < sizeof e->name - 1) {
			e->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return; /* more to come */
		if (r > 0)
			e->len = 0; /* over the bound: not a name of ours */
		close(e->pipe);
		e->pipe = -1;
		e->name[e->len] = '\0';
		return;
	}
}

/* The head is done: its resolver gone, its connection handed on. */
static void finish_head(long long now, resolve_done_fn *done, void *ctx)
{
	struct pending e = R.q[0];
	memmove(R.q, R.q + 1, (size_t)(R.n - 1) * sizeof R.q[0]);
	R.n--;
	if (e.pid > 0 && (kill(e.pid, SIGKILL) == 0 || errno != ESRCH))
		while (waitpid(e.pid, NULL, 0) < 0 && errno == EINTR)
			; /* killed, or a zombie: not long */
	const char *name = e.pipe < 0 && e.len > 0 ? e.name : NULL;
	if (name)
		log_msg(LOG_INFO, "%s:%u is %s", e.req.remote_ip,
			e.req.remote_port, name);
	else
		log_msg(LOG_INFO, "%s:%u has no name%s", e.req.remote_ip,
			e.req.remote_port, e.pipe >= 0 ? " (timed out)" : "");
	if (e.pipe >= 0)
		close(e.pipe);
	(void)now;
	done(&e.req, e.fd, name, ctx);
}

void resolve_ready(const struct pollfd *pfd, int n, long long now,
		   resolve_done_fn *done, void *ctx)
{
	for (int k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (int i = 0; i < R.n; i++)
			if (R.q[i].pipe == pfd[k].fd)
				take_answer(&R.q[i]);
	}
	while (R.n > 0 && (R.q[0].pipe < 0 || now >= R.q[0].deadline))
		finish_head(now, done, ctx);
}

int resolve_reaped(pid_t pid)
{
	for (int i = 0; i < R.n; i++)
		if (R.q[i].pid == pid) {
			R.q[i].pid = 0;
			return 1;
		}
	return 0;
}
