/* syncer.c — fdatasync(2) off the event loop, in a child process
 * (syncer.h). */
#include "syncer.h"
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

struct syncer {
	int fd;                 /* the parent's end; -1 once the child is gone */
	pid_t pid;
	uint64_t inflight[SYNCER_INFLIGHT_MAX];
	size_t n;               /* in inflight, oldest first */
};

/* A request: the id and the kind; the descriptor rides along. */
struct req_msg {
	uint64_t id;
	uint32_t kind;
};

struct ans_msg {
	uint64_t id;
	int32_t status;
};

/* Closes every descriptor but keep.  Linux closes those above it in
 * one call (close_range(2), 5.9 and later): a broker of 70,000 people
 * has descriptors past any bound a loop could afford in every syncer
 * a test starts; elsewhere, or on an older kernel, a loop up to the
 * limit, at most SYNCER_CLOSE_MAX. */
static void close_all_but(int keep)
{
	for (int i = 0; i < keep; i++)
		(void)close(i);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > SYNCER_CLOSE_MAX)
		max = SYNCER_CLOSE_MAX;
	for (long i = keep + 1; i < max; i++)
		(void)close((int)i);
}

/* The child's start: nothing of the broker's but fd, no signal of the
 * broker's, no terminal's (its own session): only EOF on fd ends it. */
static void child_detach(int fd)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGQUIT,
				    SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE,
				    SIGALRM };
	close_all_but(fd);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)sigaction(sigs[i], &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setsid();
#ifdef __linux__
	/* what ps and pgrep show of it: not a second broker */
	(void)prctl(PR_SET_NAME, "natter-syncer", 0, 0, 0);
#endif
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* One request received: its id, kind and descriptor (-1 if none came
 * with it).  1, 0 at EOF, -1 on error. */
static int child_recv(int fd, struct req_msg *m, int *got)
{
	ssize_t n = fdpass_recv(fd, m, sizeof *m, got);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	return (size_t)n == sizeof *m ? 1 : -1;
}

static int sync_real(int fd, int full)
{
	return full ? fsync(fd) : fdatasync(fd);
}

static void child_loop(int fd, syncer_sync_fn hook)
{
	struct req_msg m;
	int sfd;
	int r;
	while ((r = child_recv(fd, &m, &sfd)) == 1) {
		struct ans_msg a = { .id = m.id, .status = EBADF };
		if (sfd >= 0) {
			errno = 0;
			int rc = (hook ? hook : sync_real)(sfd, m.kind ==
							   SYNCER_FULL);
			a.status = rc == 0 ? 0 : errno ? errno : EIO;
			(void)close(sfd);
		}
		ssize_t n;
		do {
			n = send(fd, &a, sizeof a, 0);
		} while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof a)
			break;
	}
	_exit(r == 0 ? 0 : 1);
}

struct syncer *syncer_start(syncer_sync_fn hook)
{
	int sv[2];
	struct syncer *sy = calloc(1, sizeof *sy);
	if (!sy)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
		free(sy);
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(sv[0]);
		close(sv[1]);
		free(sy);
		errno = saved;
		return NULL;
	}
	if (pid == 0) {
		child_detach(sv[1]);
		child_loop(sv[1], hook);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0) {
		int saved = errno;
		sy->fd = sv[0];
		sy->pid = pid;
		syncer_stop(sy);
		errno = saved;
		return NULL;
	}
	sy->fd = sv[0];
	sy->pid = pid;
	return sy;
}

/* The child is gone or unusable: its end closed, the child reaped if
 * it has ended (else at syncer_stop). */
static void child_lost(struct syncer *sy)
{
	if (sy->fd >= 0)
		close(sy->fd);
	sy->fd = -1;
	if (sy->pid > 0 && waitpid(sy->pid, NULL, WNOHANG) == sy->pid)
		sy->pid = 0;
}

void syncer_stop(struct syncer *sy)
{
	if (!sy)
		return;
	child_lost(sy);
	while (sy->pid > 0 && waitpid(sy->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(sy);
}

int syncer_request(struct syncer *sy, int fd, enum syncer_kind kind,
		   uint64_t id)
{
	/* a child lost while it was still exiting is reaped here, at the
	 * next sync asked for, not left a zombie until the store closes */
	if (sy && sy->fd < 0 && sy->pid > 0 &&
	    waitpid(sy->pid, NULL, WNOHANG) == sy->pid)
		sy->pid = 0;
	if (!sy || sy->fd < 0 || sy->n == SYNCER_INFLIGHT_MAX) {
		errno = EAGAIN;
		return -1;
	}
	struct req_msg m = { .id = id, .kind = (uint32_t)kind };
	ssize_t n = fdpass_send(sy->fd, &m, sizeof m, fd, 0);
	if (n != (ssize_t)sizeof m)
		return -1; /* EAGAIN: its buffer is full; else it is gone
			      (seen at the next syncer_answers) */
	sy->inflight[sy->n++] = id;
	return 0;
}

int syncer_fd(const struct syncer *sy)
{
	return sy ? sy->fd : -1;
}

size_t syncer_inflight(const struct syncer *sy)
{
	return sy ? sy->n : 0;
}

/* id answered: out of the in-flight list (answers come in order, so
 * it is the first; searched all the same). */
static void answered(struct syncer *sy, uint64_t id)
{
	for (size_t i = 0; i < sy->n; i++)
		if (sy->inflight[i] == id) {
			memmove(&sy->inflight[i], &sy->inflight[i + 1],
				(sy->n - i - 1) * sizeof sy->inflight[0]);
			sy->n--;
			return;
		}
}

/* The child ended: what it had not answered comes back failed. */
static size_t answers_lost(struct syncer *sy, struct syncer_answer *out,
			   size_t got, size_t max)
{
	while (sy->n > 0 && got < max) {
		out[got].id = sy->inflight[0];
		out[got++].status = EIO;
		answered(sy, sy->inflight[0]);
	}
	if (sy->n == 0)
		child_lost(sy);
	return got;
}

size_t syncer_answers(struct syncer *sy, struct syncer_answer *out,
		      size_t max)
{
	size_t got = 0;
	if (!sy)
		return 0;
	while (got < max && sy->fd >= 0) {
		struct ans_msg a;
		ssize_t n = recv(sy->fd, &a, sizeof a, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return got;
		if (n != (ssize_t)sizeof a) /* EOF, an error, a short one */
			return answers_lost(sy, out, got, max);
		answered(sy, a.id);
		out[got].id = a.id;
		out[got++].status = a.status;
	}
	if (sy->fd < 0 && sy->n > 0)
		return answers_lost(sy, out, got, max);
	return got;
}
