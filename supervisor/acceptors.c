/* acceptors.c — accepting, admitting and starting handlers, in
 * acceptor threads; see acceptors.h.  Everything here but the thread
 * bodies' poll and the handler's start runs with the big lock held. */
#include "acceptors.h"
#include "addr.h"
#include "biglock.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "sessions.h"
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REFUSALS_LOGGED_PER_S 10
#define ACCEPTOR_STACK (256 * 1024)

struct acceptor {
	pthread_t thread;
	struct spawn_env *env;
	int fd;  /* the connection in hand, from accept to close, or -1:
		  * a broker forked meanwhile must close it (biglock.h) */
};

static struct {
	const struct server_params *p;
	struct acceptor a[ACCEPTORS_MAX];
	int n;                   /* started */
	int wake[2];             /* written once, never read: "stop" */
	int stopping;
	long long paused_until;  /* accept again from then, ms */
	long long pause_ms;      /* the next pause's length */
	int troubled;            /* in a pause episode: logged once */
	long long trouble_since; /* the episode's first failure, ms */
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
	if (!A.troubled)
		A.trouble_since = now;
	A.troubled = 1;
	A.paused_until = now + A.pause_ms;
	A.pause_ms = A.pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : A.pause_ms * 2;
}

/* A handler started for a connection accepted at accepted_ms.  One
 * accepted before the trouble began says nothing (with several
 * acceptors, one may still be starting a handler for it when another's
 * accept fails). */
static void accepting_fine(long long accepted_ms)
{
	if (A.troubled && accepted_ms < A.trouble_since)
		return;
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

/* Starts the handler, without the lock for the one long wait of a
 * connection: spawn_handler returns when the child has exec'd. */
static pid_t spawn_unlocked(struct acceptor *a, int fd,
			    const struct endpoint *remote,
			    const struct endpoint *local)
{
	biglock_spawn_begin();
	biglock_give();
	pid_t pid = spawn_handler(a->env, fd, remote, local);
	int err = errno;
	biglock_take();
	biglock_spawn_end();
	errno = err;
	return pid;
}

/* Runs the handler for an admitted (reserved) connection; on failure
 * tells the peer "server busy" and pauses, as every connection would
 * fail alike (no processes, no memory, the handler gone). */
static void start_session(struct acceptor *a, int fd, const char *text,
			  int source, const struct endpoint *remote,
			  const struct endpoint *local, long long accepted)
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
	accepting_fine(accepted);
	/* Logged first: the handler may have ended already, and
	 * sessions_add then logs its end. */
	log_msg(LOG_INFO, "connection from %s pid %ld (%u open)", text,
		(long)pid, sessions_count() + 1);
	if (sessions_add(pid, source, now, text) != 0) /* cannot happen */
		log_msg(LOG_ERR, "session table full: pid %ld untracked",
			(long)pid);
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
	start_session(a, fd, text, source, &remote, &local, now);
}

/* The acceptor whose turn it is waits for and accepts the next
 * connection; the other waits for the turn (not in poll, so a
 * connection wakes one thread, not both).  T is the turn's state. */
static pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int ready[LISTENERS_MAX];  /* poll said so, and no EAGAIN since */
	int next;                  /* where to look first: round robin */
} T;

/* Accepts from a listener that poll found ready.  Returns the
 * connection, or -1: none waiting (poll again), or accepting failed
 * and is paused. */
static int accept_ready(int *li, struct sockaddr_storage *ss)
{
	int n = A.p->ls->n;
	for (int k = 0; k < n; k++) {
		int i = (T.next + k) % n;
		if (!T.ready[i])
			continue;
		socklen_t len = sizeof *ss;
		int fd = listener_accept(A.p->ls, i, (struct sockaddr *)ss, &len);
		if (fd >= 0) {
			T.next = (i + 1) % n;
			*li = i;
			return fd;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			pause_accepting("accept", errno, io_now_ms());
			return -1;
		}
		if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
			T.ready[i] = 0; /* EAGAIN, or an error to log once */
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
			log_msg(LOG_WARNING, "accept: %s", strerror(errno));
	}
	return -1;
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

/* Waits, without the lock, for a connection, a stop or a pause's end;
 * marks the listeners that are ready. */
static void wait_unlocked(void)
{
	struct pollfd pfd[LISTENERS_MAX + 1];
	int timeout;
	nfds_t n = poll_set(pfd, &timeout);
	biglock_give();
	int r = poll(pfd, n, timeout);
	int err = errno;
	if (r < 0 && err != EINTR) /* ENOMEM: wait a little, then again */
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	biglock_take();
	if (r < 0 && err != EINTR)
		log_msg(LOG_ERR, "poll: %s", strerror(err));
	for (nfds_t i = 1; r > 0 && i < n; i++)
		T.ready[i - 1] = pfd[i].revents != 0;
}

static void turn_take(void)
{
	biglock_give(); /* the lock comes after the turn: never wait for
			 * the turn holding it */
	int err = pthread_mutex_lock(&turn);
	biglock_take();
	if (err) { /* only when misused: a bug */
		log_msg(LOG_ERR, "pthread_mutex_lock: %s", strerror(err));
		abort();
	}
}

static void turn_give(void)
{
	int err = pthread_mutex_unlock(&turn);
	if (err) {
		log_msg(LOG_ERR, "pthread_mutex_unlock: %s", strerror(err));
		abort();
	}
}

/* The next connection (its listener in *li), or -1 when stopping.
 * Accepts without polling while connections are waiting. */
static int next_connection(int *li, struct sockaddr_storage *ss)
{
	int fd = -1;
	turn_take();
	while (!A.stopping) {
		if (io_now_ms() >= A.paused_until &&
		    (fd = accept_ready(li, ss)) >= 0)
			break;
		wait_unlocked();
	}
	turn_give();
	return fd;
}

static void *acceptor_run(void *arg)
{
	struct acceptor *a = arg;
	struct sockaddr_storage ss;
	int li;
	biglock_take();
	while (!A.stopping) {
		a->fd = next_connection(&li, &ss);
		if (a->fd >= 0)
			serve(a, a->fd, li, (struct sockaddr *)&ss, io_now_ms());
		a->fd = -1; /* closed by serve */
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

/* Every exit reaped before its acceptor recorded the pid must fit. */
_Static_assert(ACCEPTORS_MAX <= SESSIONS_EARLY_MAX, "early ends would be lost");

/* Two per online processor, within [2, ACCEPTORS_MAX]. */
static int acceptors_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return cpus * 2 > ACCEPTORS_MAX ? ACCEPTORS_MAX : (int)cpus * 2;
}

int acceptors_start(const struct server_params *p)
{
	int want = acceptors_wanted();
	A.p = p;
	A.pause_ms = PAUSE_MIN_MS;
	if (wake_pipe() != 0)
		return -1;
	for (A.n = 0; A.n < want; A.n++) {
		struct acceptor *a = &A.a[A.n];
		int err = ENOMEM;
		a->fd = -1;
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

void acceptors_forget(void)
{
	for (int i = 0; i < A.n; i++)
		if (A.a[i].fd >= 0)
			close(A.a[i].fd);
	if (A.wake[0] >= 0) {
		close(A.wake[0]);
		close(A.wake[1]);
		A.wake[0] = A.wake[1] = -1;
	}
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
	acceptors_forget();
}
