/* launcher.c — the launcher process; see launcher.h. */
#include "launcher.h"
#include "child.h"
#include "exitcode.h"
#include "fdpass.h"
#include "io.h"
#include "launchproto.h"
#include "log.h"
#include "resolve.h"
#include "selfpipe.h"
#include "spawn.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FDS_PER_MSG_MAX 4   /* descriptors accepted with a request:
			     * one is right, more are closed */
#define REPORTS_BATCH 64    /* ENDED records written at once */

static const int launcher_signals[] = { SIGCHLD, 0 };

/* Reports rec on sock, or leaves: natterd is gone. */
static void report(int sock, const struct launch_report *rec, size_t n)
{
	if (io_write_all(sock, rec, n * sizeof *rec, -1) != 0)
		_exit(errno == EPIPE ? 0 : EXIT_TEMP);
}

/* Every child that ended, reported in the order reaped. */
static void reap(int sock)
{
	struct launch_report rec[REPORTS_BATCH];
	size_t n = 0;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (resolve_reaped(pid))
			continue; /* -N's resolver, not a handler */
		rec[n++] = (struct launch_report){ LAUNCH_ENDED, 0, pid, status };
		if (n == REPORTS_BATCH) {
			report(sock, rec, n);
			n = 0;
		}
	}
	if (pid < 0 && errno != ECHILD)
		log_msg(LOG_WARNING, "launcher: waitpid: %s", strerror(errno));
	if (n)
		report(sock, rec, n);
}


/* One whole request and its descriptor.  Returns 1, 0 at end of file
 * (natterd closed its end), -1 on an error (errno set). */
static int read_req(int sock, struct launch_req *req, int *fd, int *nfds)
{
	union { char buf[CMSG_SPACE(FDS_PER_MSG_MAX * sizeof(int))];
		struct cmsghdr align; } ctl;
	size_t got = 0;
	*fd = -1;
	*nfds = 0;
	while (got < sizeof *req) {
		struct iovec iov = { (char *)req + got, sizeof *req - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof ctl.buf };
#ifdef MSG_CMSG_CLOEXEC
		ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
#else
		ssize_t r = recvmsg(sock, &mh, 0);
#endif
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 0;              /* natterd closed its end */
		if (r == 0)
			errno = EPIPE;         /* cut in the middle */
		if (r <= 0)
			return -1;
		if (mh.msg_flags & MSG_CTRUNC)
			*nfds += FDS_PER_MSG_MAX + 1; /* too many: refused */
		*nfds += fdpass_take(&mh, fd);
		got += (size_t)r;
	}
	/* the handler must get the connection on 0 and 1 only (with
	 * MSG_CMSG_CLOEXEC it came so) */
#ifndef MSG_CMSG_CLOEXEC
	if (*fd >= 0 && io_set_cloexec(*fd) != 0)
		return -1;
#endif
	return 1;
}

/* A request's shape, before anything in it is used. */
static int req_valid(const struct launch_req *req, int nfds)
{
	return req->type == LAUNCH_START && req->len == sizeof *req &&
	       req->id != 0 && nfds == 1 &&
	       memchr(req->remote_ip, '\0', sizeof req->remote_ip) &&
	       memchr(req->local_ip, '\0', sizeof req->local_ip);
}

struct starter {
	int sock;
	struct spawn_env *env;
};

/* Starts req's handler on fd and reports it (resolve_done_fn). */
static void start_req(const struct launch_req *req, int fd, const char *host,
		      void *ctx)
{
	const struct starter *s = ctx;
	struct endpoint remote = { .port = req->remote_port };
	struct endpoint local = { .port = req->local_port };
	memcpy(remote.ip, req->remote_ip, sizeof remote.ip);
	memcpy(local.ip, req->local_ip, sizeof local.ip);
	pid_t pid = spawn_handler(s->env, fd, &remote, &local, host);
	int err = errno;
	close(fd);
	struct launch_report rec = pid > 0 ?
		(struct launch_report){ LAUNCH_STARTED, req->id, pid, 0 } :
		(struct launch_report){ LAUNCH_FAILED, req->id, 0, err };
	report(s->sock, &rec, 1);
}

/* Reads one request and starts its handler, or (-N) its look-up.
 * Returns 0, or -1 when natterd closed its end. */
static int serve_one(struct starter *s, long long now)
{
	int sock = s->sock;
	struct launch_req req;
	int fd, nfds;
	int r = read_req(sock, &req, &fd, &nfds);
	if (r <= 0 || !req_valid(&req, nfds)) {
		if (fd >= 0)
			close(fd);
		if (r == 0)
			return -1;
		log_msg(LOG_ERR, "launcher: %s", r < 0 ? strerror(errno) :
			"bad request from natterd");
		_exit(EXIT_TEMP);
	}
	/* Handlers start in the order requests came (launchproto.h): one
	 * that cannot wait for its name lets those queued before it go
	 * first, without theirs (rare: the queue full, or no fork). */
	if (!resolve_enabled() || resolve_begin(&req, fd, sock, now) != 0) {
		resolve_ready(NULL, 0, now + RESOLVE_TIMEOUT_MS, start_req, s);
		start_req(&req, fd, NULL, s);
	}
	return 0;
}

/* natterd's handlers out, the launcher's own in; then the spawn state,
 * which records the dispositions a handler must have reset.  The
 * signals natterd catches or ignores are blocked here instead, at their
 * defaults: as safe from a stray kill or a ^C as ignored, and a
 * handler then has only SIGCHLD to set back (and the mask), not a
 * dozen, in the vfork child that the launcher waits for. */
static int launcher_signals_init(void)
{
	static const int stray[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE, 0 };
	sigset_t blocked;
	sigemptyset(&blocked);
	selfpipe_reset(natterd_signals); /* natterd's pipe: closed */
	for (const int *s = stray; *s; s++)
		sigaddset(&blocked, *s);
	for (const int *s = natterd_ignored; *s; s++)
		sigaddset(&blocked, *s);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&blocked, sig) == 1 &&
		    signal(sig, SIG_DFL) == SIG_ERR)
			return -1;
	int fd = selfpipe_init(launcher_signals);
	if (fd < 0 || sigprocmask(SIG_SETMASK, &blocked, NULL) != 0)
		return -1;
	return fd;
}

_Noreturn void launcher_run(int sock, const char *path, char *const *argv)
{
	int sigfd = launcher_signals_init();
	struct spawn_env *env = NULL;
	if (sigfd < 0 || spawn_init(path, argv) != 0 ||
	    !(env = spawn_env_new())) {
		log_msg(LOG_ERR, "launcher: cannot start: %s", strerror(errno));
		_exit(EXIT_TEMP);
	}
	struct starter s = { sock, env };
	for (;;) {
		struct pollfd p[2 + RESOLVE_PENDING_MAX] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN } };
		int nr = resolve_pollfds(p + 2);
		int r = poll(p, (nfds_t)(2 + nr), resolve_timeout(io_now_ms()));
		if (r < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "launcher: poll: %s", strerror(errno));
			_exit(EXIT_TEMP);
		}
		if (r < 0)
			continue;
		resolve_ready(p + 2, nr, io_now_ms(), start_req, &s);
		if (p[1].revents) {
			selfpipe_drain();
			reap(sock);
		}
		if (p[0].revents && serve_one(&s, io_now_ms()) != 0)
			_exit(0);
	}
}
