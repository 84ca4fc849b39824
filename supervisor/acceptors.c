/* acceptors.c — accepting, admitting and starting handlers, in
 * ACCEPTORS threads; see acceptors.h.  Everything here but the thread
 * bodies' poll and posix_spawn runs with the big lock held. */
#include "acceptors.h"
#include "addr.h"
#include "biglock.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "sessions.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKEUP 64  /* then poll again: the lock changes hands */
#define REFUSALS_LOGGED_PER_S 10
#define ACCEPTOR_STACK (256 * 1024)

struct acceptor {
	pthread_t thread;
	struct spawn_env *env;
};

static struct {
	const struct server_params *p;
	struct acceptor a[ACCEPTORS];
	int n;                   /* started */
	int wake[2];             /* written once, never read: "stop" */
	int stopping;
	long long paused_until;  /* accept again from then, ms */
	long long pause_ms;      /* the next pause's length */
	int troubled;            /* in a pause episode: logged once */
	long long refusal_window;
	unsigned refusals_logged, refusals_hidden;
} A = { .wake = { -1, -1 } };

/* Out of descriptors, memory or processes: stop polling the listeners
 * for a while instead of spinning on the error. */
static void pause_accepting(const char *what, int err, long long now)
{
	if (!A.troubled)
		log_msg(LOG_ERR, "%s: %s; pausing new connections", what,
			strerror(err));
	A.troubled = 1;
	A.paused_until = now + A.pause_ms;
	A.pause_ms = A.pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : A.pause_ms * 2;
}

static void accepting_fine(void)
{
	if (A.troubled)
		log_msg(LOG_NOTICE, "accepting connections again");
	A.troubled = 0;
	A.pause_ms = PAUSE_MIN_MS;
}

/* At most REFUSALS_LOGGED_PER_S refusals a second reach the log, so a
 * flood cannot fill the disk; the rest are counted. */
static void log_refusal(const char *peer, const char *why, long long now)
{
	if (now - A.refusal_window >= 1000) {
		if (A.refusals_hidden)
			log_msg(LOG_NOTICE, "%u more connections refused",
				A.refusals_hidden);
		A.refusal_window = now;
		A.refusals_logged = A.refusals_hidden = 0;
	}
	if (A.refusals_logged++ < REFUSALS_LOGGED_PER_S)
		log_msg(LOG_NOTICE, "refused %s: %s", peer, why);
	else
		A.refusals_hidden++;
}

/* Tells the peer why, without waiting for it, and closes. */
static void refuse(int fd, const char *peer, enum admission why,
		   unsigned retry_s, long long now)
{
	char msg[160];
	int n = limits_message(msg, sizeof msg, why, retry_s);
	if (n > 0 && io_write_some(fd, msg, (size_t)n, 1) < 0)
		log_msg(LOG_INFO, "refusing %s: %s", peer, strerror(errno));
	log_refusal(peer, limits_reason(why), now);
	close(fd);
}

/* posix_spawn without the lock: the one long wait of a connection. */
static pid_t spawn_unlocked(struct acceptor *a, int fd,
			    const struct endpoint *remote,
			    const struct endpoint *local)
{
	biglock_give();
	pid_t pid = spawn_handler(a->env, fd, remote, local);
	int err = errno;
	biglock_take();
	errno = err;
	return pid;
}

/* Runs the handler for an admitted (reserved) connection; on failure
 * tells the peer "server busy" and pauses, as every connection would
 * fail alike (no processes, no memory, the handler gone). */
static void start_session(struct acceptor *a, int fd, const char *text,
			  int source, const struct endpoint *remote,
			  const struct endpoint *local)
{
	pid_t pid = spawn_unlocked(a, fd, remote, local);
	long long now = io_now_ms();
	if (pid < 0) {
		int err = errno;
		char what[PATH_MAX + 16];
		snprintf(what, sizeof what, "cannot run %s", A.p->handler_path);
		sessions_unreserve();
		limits_release(source);
		refuse(fd, text, ADMIT, 1, now); /* "server busy" */
		pause_accepting(what, err, now);
		return;
	}
	close(fd);
	accepting_fine();
	if (sessions_add(pid, source, now, text) != 0) /* cannot happen */
		log_msg(LOG_ERR, "session table full: pid %ld untracked",
			(long)pid);
	log_msg(LOG_INFO, "connection from %s pid %ld (%u open)", text,
		(long)pid, sessions_count());
}

/* Admits connection fd, accepted on listener li, or refuses it. */
static void serve(struct acceptor *a, int fd, int li,
		  const struct sockaddr *peer, long long now)
{
	char text[ADDR_TEXT_MAX];
	struct endpoint remote, local;
	int source;
	unsigned retry;
	addr_format(peer, text, sizeof text);
	if (addr_endpoint(peer, &remote) != 0 ||
	    listener_local(A.p->ls, li, fd, &local) != 0) {
		log_msg(LOG_WARNING, "connection from %s: %s", text,
			strerror(errno));
		close(fd);
		return;
	}
	enum admission adm = limits_admit(peer, sessions_in_use(), now,
					  &source, &retry);
	if (adm != ADMIT) {
		refuse(fd, text, adm, retry, now);
		return;
	}
	sessions_reserve();
	start_session(a, fd, text, source, &remote, &local);
}

/* Accepts what is waiting on listener li, a bounded batch.  Returns 0
 * to go on, -1 if accepting is now paused or stopping. */
static int accept_some(struct acceptor *a, int li)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP && !A.stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		long long now = io_now_ms();
		if (now < A.paused_until)
			return -1;
		int fd = listener_accept(A.p->ls, li, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				pause_accepting("accept", errno, now);
				return -1;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_WARNING, "accept: %s", strerror(errno));
			return 0;
		}
		serve(a, fd, li, (struct sockaddr *)&ss, now);
	}
	return A.stopping ? -1 : 0;
}

/* The poll set: the wake-up pipe, then the listeners unless paused.
 * Returns its length; *timeout is how long to wait, ms. */
static nfds_t poll_set(struct pollfd *pfd, int *timeout)
{
	nfds_t n = 0;
	long long left = A.paused_until - io_now_ms();
	pfd[n++] = (struct pollfd){ .fd = A.wake[0], .events = POLLIN };
	*timeout = left > 0 ? (int)left : -1;
	for (int i = 0; left <= 0 && i < A.p->ls->n; i++)
		pfd[n++] = (struct pollfd){ .fd = A.p->ls->fd[i], .events = POLLIN };
	return n;
}

/* Waits, without the lock, for a connection, a stop or a pause's end. */
static int wait_unlocked(struct pollfd *pfd, nfds_t n, int timeout)
{
	biglock_give();
	int r = poll(pfd, n, timeout);
	int err = errno;
	if (r < 0 && err != EINTR) /* ENOMEM: wait a little, then again */
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	biglock_take();
	if (r < 0 && err != EINTR)
		log_msg(LOG_ERR, "poll: %s", strerror(err));
	return r;
}

static void *acceptor_run(void *arg)
{
	struct acceptor *a = arg;
	struct pollfd pfd[LISTENERS_MAX + 1];
	biglock_take();
	while (!A.stopping) {
		int timeout;
		nfds_t n = poll_set(pfd, &timeout);
		if (wait_unlocked(pfd, n, timeout) <= 0)
			continue;
		for (nfds_t i = 1; i < n && !A.stopping; i++)
			if (pfd[i].revents && accept_some(a, (int)i - 1) < 0)
				break;
	}
	biglock_give();
	return NULL;
}

/* A thread with every signal blocked (they are the main thread's, see
 * selfpipe) and a stack that fits what it does. */
static int acceptor_create(struct acceptor *a)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setstacksize(&attr, ACCEPTOR_STACK);
	sigfillset(&all);
	if (!err)
		err = pthread_sigmask(SIG_BLOCK, &all, &old);
	if (!err) {
		err = pthread_create(&a->thread, &attr, acceptor_run, a);
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&attr);
	return err;
}

static int wake_pipe(void)
{
	if (pipe(A.wake) != 0)
		return -1;
	if (io_set_cloexec(A.wake[0]) != 0 || io_set_cloexec(A.wake[1]) != 0) {
		int err = errno;
		close(A.wake[0]);
		close(A.wake[1]);
		A.wake[0] = A.wake[1] = -1;
		errno = err;
		return -1;
	}
	return 0;
}

int acceptors_start(const struct server_params *p)
{
	A.p = p;
	A.pause_ms = PAUSE_MIN_MS;
	if (wake_pipe() != 0)
		return -1;
	for (A.n = 0; A.n < ACCEPTORS; A.n++) {
		struct acceptor *a = &A.a[A.n];
		int err = ENOMEM;
		a->env = spawn_env_new();
		if (!a->env || (err = acceptor_create(a)) != 0) {
			spawn_env_free(a->env);
			acceptors_stop();
			errno = err;
			return -1;
		}
	}
	return 0;
}

void acceptors_stop(void)
{
	A.stopping = 1;
	if (A.wake[1] >= 0 && io_write_some(A.wake[1], "x", 1, 0) < 0)
		log_msg(LOG_ERR, "waking the acceptors: %s", strerror(errno));
	biglock_give();
	int err = 0;
	for (int i = 0; i < A.n; i++) {
		int e = pthread_join(A.a[i].thread, NULL);
		err = e ? e : err;
		spawn_env_free(A.a[i].env);
	}
	biglock_take();
	if (err) /* only for a thread not joinable: a bug */
		log_msg(LOG_ERR, "pthread_join: %s", strerror(err));
	A.n = 0;
	if (A.wake[0] >= 0) {
		close(A.wake[0]);
		close(A.wake[1]);
		A.wake[0] = A.wake[1] = -1;
	}
}
