/* dgram.c — datagram services, inetd's "dgram wait"; see dgram.h. */
#include "dgram.h"
#include "addr.h"
#include "exitcode.h"
#include "fatal.h"
#include "handler.h"
#include "io.h"
#include "listen.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A program, from one -l udp: spec (a name may give several sockets). */
struct dprog {
	char path[PATH_MAX];
	char *own_argv[2];     /* { path, NULL } for udp:...=PROGRAM */
	char *const *argv;
};

struct dsock {
	int fd;
	struct endpoint local;
	const struct dprog *prog;
	pid_t pid;               /* its program, 0 when none runs */
	long long started;       /* when it was started, ms */
	long long window;        /* the current window's start, ms */
	unsigned starts;         /* in that window */
	long long paused_until;  /* no start before, ms */
	int troubled;            /* in an episode of restarts: logged */
};

static struct {
	struct dprog prog[DGRAM_MAX];
	struct dsock s[DGRAM_MAX];
	int nprog, n;
	int stopping;
} D;

/* The program of spec s: after its '=' (a path or a name in $PATH, no
 * arguments), else the one after "--".  *addr_end: where ADDR:PORT ends. */
static void prog_of(const char *s, char *const *hargv, const char *argv0,
		    struct dprog *p, size_t *addr_end)
{
	const char *eq = strrchr(s, '=');
	*addr_end = eq ? (size_t)(eq - s) : strlen(s);
	if (eq && eq[1]) {
		char *one[2] = { (char *)eq + 1, NULL };
		handler_resolve(p->path, sizeof p->path, one, argv0);
		p->own_argv[0] = p->path;
		p->own_argv[1] = NULL;
		p->argv = p->own_argv;
	} else if (hargv && !eq) {
		handler_resolve(p->path, sizeof p->path, hargv, argv0);
		p->argv = hargv;
	} else {
		fatal(EXIT_USAGE, "%s: which program? (udp:ADDR:PORT=PROGRAM, "
		      "or the program after --)", s);
	}
}

/* A bound UDP socket, blocking (the program reads it as the seed's
 * servers do; natterd only polls it), close-on-exec.  -1 with errno. */
static int bind_one(const struct addrinfo *ai)
{
	int one = 1, fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (io_set_cloexec(fd) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Adds bound socket fd serving p; fatal on failure. */
static void sock_add(int fd, const struct dprog *p, const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (D.n == DGRAM_MAX)
		fatal(EXIT_USAGE, "too many UDP sockets (at most %d)", DGRAM_MAX);
	struct dsock *d = &D.s[D.n];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    addr_endpoint((struct sockaddr *)&ss, &d->local) != 0)
		fatal_errno(EXIT_TEMP, "getsockname %s", text);
	d->fd = fd;
	d->prog = p;
	D.n++;
}

static void open_spec(const char *s, char *const *hargv, const char *argv0)
{
	char addr[300];
	size_t end;
	int named, bound = 0;
	struct dprog *p = &D.prog[D.nprog++]; /* <= LISTEN_SPECS_MAX specs */
	prog_of(s, hargv, argv0, p, &end);
	if (end - 4 >= sizeof addr)
		fatal(EXIT_USAGE, "bad listen address '%s'", s);
	memcpy(addr, s + 4, end - 4); /* after "udp:" */
	addr[end - 4] = '\0';
	struct addrinfo *res = listen_lookup(addr, SOCK_DGRAM, &named);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char text[ADDR_TEXT_MAX];
		if (listen_skip(res, ai))
			continue;
		addr_format(ai->ai_addr, text, sizeof text);
		int fd = bind_one(ai);
		if (fd < 0 && named && listen_unusable(errno)) {
			log_msg(LOG_WARNING, "not listening on udp %s (from %s): "
				"%s", text, s, strerror(errno));
			continue;
		}
		if (fd < 0)
			fatal_errno(EXIT_TEMP, "cannot listen on udp %s", text);
		sock_add(fd, p, text);
		bound++;
	}
	freeaddrinfo(res);
	if (bound == 0)
		fatal(EXIT_USAGE, "cannot listen on %s: no IPv4 or IPv6 address", s);
}

void dgram_open(const char *const *specs, int n, char *const *hargv,
		const char *argv0)
{
	for (int i = 0; i < n && i < DGRAM_MAX; i++)
		open_spec(specs[i], hargv, argv0);
}

void dgram_log(void)
{
	for (int i = 0; i < D.n; i++) {
		const struct endpoint *e = &D.s[i].local;
		int v6 = strchr(e->ip, ':') != NULL;
		log_msg(LOG_NOTICE, "listening for datagrams on %s%s%s:%u (%s)",
			v6 ? "[" : "", e->ip, v6 ? "]" : "", e->port,
			D.s[i].prog->path);
	}
}

/* In the forked child: what dgram.h promises the program, then exec.
 * Every signal was blocked before the fork, so none of natterd's
 * handlers runs here before the dispositions are back to default. */
_Noreturn static void child(const struct dsock *d)
{
	static const char *const tcp_vars[] = { "TCPREMOTEIP", "TCPREMOTEPORT",
		"TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEHOST", "TCPREMOTEINFO",
		"TCPLOCALHOST", NULL };
	char port[16];
	sigset_t none;
	for (int sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL); /* SIGKILL, SIGSTOP: refused */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; tcp_vars[i]; i++)
		(void)unsetenv(tcp_vars[i]);
	snprintf(port, sizeof port, "%u", d->local.port);
	/* d->fd > 2 (natterd keeps 0, 1, 2 open), so both dup2s clear
	 * close-on-exec and the original goes with the exec */
	if (setenv("PROTO", "UDP", 1) == 0 &&
	    setenv("UDPLOCALIP", d->local.ip, 1) == 0 &&
	    setenv("UDPLOCALPORT", port, 1) == 0 &&
	    dup2(d->fd, 0) == 0 && dup2(d->fd, 1) == 1)
		execv(d->prog->path, d->prog->argv);
	log_msg(LOG_ERR, "cannot run %s: %s", d->prog->path, strerror(errno));
	_exit(EXIT_TEMP);
}

/* Starting d's program, or -1 with errno set. */
static pid_t fork_program(const struct dsock *d)
{
	sigset_t all, old;
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old); /* valid: cannot fail */
	pid_t pid = fork();
	if (pid == 0)
		child(d);
	int err = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return pid;
}

/* No start on d for DGRAM_PAUSE_MS; why, once per episode. */
static void pause_sock(struct dsock *d, const char *why, long long now)
{
	d->paused_until = now + DGRAM_PAUSE_MS;
	if (!d->troubled)
		log_msg(LOG_WARNING, "udp %s:%u: %s; pausing %d s", d->local.ip,
			d->local.port, why, DGRAM_PAUSE_MS / 1000);
	d->troubled = 1;
}

/* A datagram waits on d: its program, within the rate limit. */
static void start(struct dsock *d, long long now)
{
	char why[64];
	if (now - d->window >= DGRAM_WINDOW_MS) {
		d->window = now;
		d->starts = 0;
	}
	if (d->starts >= DGRAM_BURST) {
		snprintf(why, sizeof why, "program started %d times in %d ms",
			 DGRAM_BURST, DGRAM_WINDOW_MS);
		pause_sock(d, why, now);
		return;
	}
	d->starts++;
	pid_t pid = fork_program(d);
	if (pid < 0) {
		snprintf(why, sizeof why, "fork: %s", strerror(errno));
		pause_sock(d, why, now);
		return;
	}
	d->pid = pid;
	d->started = now;
	log_msg(LOG_INFO, "udp %s:%u: pid %ld", d->local.ip, d->local.port,
		(long)pid);
}

int dgram_pollfds(struct pollfd *pfd, long long now)
{
	int k = 0;
	for (int i = 0; i < D.n && !D.stopping; i++)
		if (D.s[i].pid == 0 && now >= D.s[i].paused_until)
			pfd[k++] = (struct pollfd){ .fd = D.s[i].fd,
						    .events = POLLIN };
	return k;
}

static struct dsock *sock_of_fd(int fd)
{
	for (int i = 0; i < D.n; i++)
		if (D.s[i].fd == fd)
			return &D.s[i];
	return NULL;
}

void dgram_ready(const struct pollfd *pfd, int n, long long now)
{
	for (int k = 0; k < n && !D.stopping; k++) {
		struct dsock *d = sock_of_fd(pfd[k].fd);
		if (!d || d->pid != 0 || !pfd[k].revents)
			continue;
		if (!(pfd[k].revents & POLLIN)) {
			/* an ICMP error for an earlier answer, no datagram:
			 * taken, so that it does not start a program */
			int err;
			socklen_t len = sizeof err;
			(void)getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			continue;
		}
		start(d, now);
	}
}

int dgram_ended(pid_t pid, int status, long long now)
{
	for (int i = 0; i < D.n; i++) {
		struct dsock *d = &D.s[i];
		if (d->pid != pid)
			continue;
		d->pid = 0;
		if (now - d->started >= DGRAM_STABLE_MS)
			d->troubled = 0;
		if (WIFSIGNALED(status))
			log_msg(LOG_INFO, "udp %s:%u: pid %ld killed by signal %d",
				d->local.ip, d->local.port, (long)pid,
				WTERMSIG(status));
		else if (WEXITSTATUS(status) != 0)
			log_msg(LOG_INFO, "udp %s:%u: pid %ld exited %d",
				d->local.ip, d->local.port, (long)pid,
				WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

long long dgram_due(long long now)
{
	long long due = -1;
	for (int i = 0; i < D.n && !D.stopping; i++) {
		long long t = D.s[i].paused_until - now;
		if (D.s[i].pid == 0 && t > 0 && (due < 0 || t < due))
			due = t;
	}
	return due;
}

void dgram_stop(int sig)
{
	D.stopping = 1;
	for (int i = 0; i < D.n; i++)
		if (D.s[i].pid > 0 && kill(D.s[i].pid, sig) != 0 &&
		    errno != ESRCH)
			log_msg(LOG_WARNING, "kill %ld: %s", (long)D.s[i].pid,
				strerror(errno));
}

int dgram_running(void)
{
	int n = 0;
	for (int i = 0; i < D.n; i++)
		n += D.s[i].pid > 0;
	return n;
}

void dgram_forget(void)
{
	for (int i = 0; i < D.n; i++)
		close(D.s[i].fd);
	D.n = 0;
}
