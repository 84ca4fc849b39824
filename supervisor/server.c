/* server.c — the event loop. */
#include "server.h"
#include "addr.h"
#include "brokerproc.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "selfpipe.h"
#include "sessions.h"
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKEUP 64  /* then poll again: signals get a turn */
#define REFUSALS_LOGGED_PER_S 10

static struct {
	const struct server_params *p;
	int sigfd;
	long long paused_until;  /* accept again from then, ms */
	long long pause_ms;      /* the next pause's length */
	int troubled;            /* in a pause episode: logged once */
	long long refusal_window;
	unsigned refusals_logged, refusals_hidden;
	int stopping;
	long long deadline;      /* of the current stop phase */
	int phase;               /* see stop_tick */
} S;

/* Out of descriptors, memory or processes: stop polling the listeners
 * for a while instead of spinning on the error. */
static void pause_accepting(const char *what, int err, long long now)
{
	if (!S.troubled)
		log_msg(LOG_ERR, "%s: %s; pausing new connections", what,
			strerror(err));
	S.troubled = 1;
	S.paused_until = now + S.pause_ms;
	S.pause_ms = S.pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : S.pause_ms * 2;
}

static void accepting_fine(void)
{
	if (S.troubled)
		log_msg(LOG_NOTICE, "accepting connections again");
	S.troubled = 0;
	S.pause_ms = PAUSE_MIN_MS;
}

/* At most REFUSALS_LOGGED_PER_S refusals a second reach the log, so a
 * flood cannot fill the disk; the rest are counted. */
static void log_refusal(const char *peer, const char *why, long long now)
{
	if (now - S.refusal_window >= 1000) {
		if (S.refusals_hidden)
			log_msg(LOG_NOTICE, "%u more connections refused",
				S.refusals_hidden);
		S.refusal_window = now;
		S.refusals_logged = S.refusals_hidden = 0;
	}
	if (S.refusals_logged++ < REFUSALS_LOGGED_PER_S)
		log_msg(LOG_NOTICE, "refused %s: %s", peer, why);
	else
		S.refusals_hidden++;
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

/* Runs the handler for an admitted connection; on failure tells the
 * peer "server busy" and pauses, as every connection would fail alike
 * (no processes, no memory, the handler gone). */
static void start_session(int fd, const char *text, int source,
			  const struct endpoint *remote,
			  const struct endpoint *local, long long now)
{
	pid_t pid = spawn_handler(fd, remote, local);
	if (pid < 0) {
		int err = errno;
		char what[PATH_MAX + 16];
		snprintf(what, sizeof what, "cannot run %s", S.p->handler_path);
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
static void serve(int fd, int li, const struct sockaddr *peer, long long now)
{
	char text[ADDR_TEXT_MAX];
	struct endpoint remote, local;
	int source;
	unsigned retry;
	addr_format(peer, text, sizeof text);
	if (addr_endpoint(peer, &remote) != 0 ||
	    listener_local(S.p->ls, li, fd, &local) != 0) {
		log_msg(LOG_WARNING, "connection from %s: %s", text,
			strerror(errno));
		close(fd);
		return;
	}
	enum admission a = limits_admit(peer, sessions_count(), now, &source, &retry);
	if (a != ADMIT)
		refuse(fd, text, a, retry, now);
	else
		start_session(fd, text, source, &remote, &local, now);
}

/* Accepts what is waiting on listener li, a bounded batch per wake-up
 * (then poll again: signals and other listeners get a turn).  Returns
 * 0 to go on, -1 if accepting is now paused. */
static int accept_some(int li, long long now)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP && !S.stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = listener_accept(S.p->ls, li, (struct sockaddr *)&ss, &len);
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
		serve(fd, li, (struct sockaddr *)&ss, now);
		if (now < S.paused_until)
			return -1;
	}
	return 0;
}

static void reap(long long now)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sessions_end(pid, status, now) ||
		    brokerproc_ended(pid, status, now))
			continue;
		log_msg(LOG_INFO, "reaped unknown child %ld", (long)pid);
	}
	if (pid < 0 && errno != ECHILD)
		log_msg(LOG_WARNING, "waitpid: %s", strerror(errno));
}

static void begin_stop(int sig, long long now)
{
	if (S.stopping) {
		S.deadline = now; /* a second signal: hurry */
		return;
	}
	log_msg(LOG_NOTICE, "signal %d: stopping (%u sessions)", sig,
		sessions_count());
	S.stopping = 1;
	listeners_close(S.p->ls);
	brokerproc_stopping();
	sessions_signal(SIGTERM);
	S.phase = 0;
	S.deadline = now + (long long)S.p->grace_seconds * 1000;
}

static void stop_broker(long long now)
{
	S.phase = 2;
	brokerproc_signal(SIGTERM);
	S.deadline = now + STOP_WAIT_MS;
}

/* The stop, one phase at a time, each with a deadline, so it ends:
 * 0 sessions have SIGTERM; 1 they have SIGKILL; 2 the broker has
 * SIGTERM; 3 the broker has SIGKILL.  Returns 1 when done. */
static int stop_tick(long long now)
{
	if (S.phase <= 1 && sessions_count() == 0)
		stop_broker(now);
	if (S.phase >= 2 && brokerproc_pid() == 0)
		return 1;
	if (now < S.deadline)
		return 0;
	switch (S.phase) {
	case 0:
		log_msg(LOG_NOTICE, "killing %u sessions", sessions_count());
		sessions_signal(SIGKILL);
		S.phase = 1;
		S.deadline = now + STOP_WAIT_MS;
		return 0;
	case 1:
		log_msg(LOG_ERR, "%u sessions did not end", sessions_count());
		stop_broker(now);
		return 0;
	case 2:
		log_msg(LOG_ERR, "killing the broker");
		brokerproc_signal(SIGKILL);
		S.phase = 3;
		S.deadline = now + STOP_WAIT_MS;
		return 0;
	default:
		log_msg(LOG_ERR, "the broker did not end");
		return 1;
	}
}

static void on_signals(long long now)
{
	unsigned m = selfpipe_drain();
	if (m & (1u << SIGCHLD))
		reap(now);
	if (m & (1u << SIGHUP)) {
		log_msg(LOG_NOTICE, "SIGHUP: reopening logs");
		log_reopen();
		brokerproc_signal(SIGHUP);
	}
	if (m & (1u << SIGTERM))
		begin_stop(SIGTERM, now);
	else if (m & (1u << SIGINT))
		begin_stop(SIGINT, now);
}

/* Until the next deadline; a child's end wakes poll through SIGCHLD. */
static int poll_timeout(long long now, int listening)
{
	long long t = brokerproc_due(now);
	if (S.stopping)
		t = S.deadline > now ? S.deadline - now : 0;
	else if (!listening && (t < 0 || S.paused_until - now < t))
		t = S.paused_until - now;
	return t < 0 ? -1 : (int)(t > 0 ? t : 0);
}

int server_run(const struct server_params *p, int sigfd)
{
	struct pollfd pfd[LISTENERS_MAX + 1];
	S.p = p;
	S.sigfd = sigfd;
	S.pause_ms = PAUSE_MIN_MS;
	for (;;) {
		long long now = io_now_ms();
		if (S.stopping && stop_tick(now))
			return 0;
		brokerproc_tick(now);
		int listening = !S.stopping && now >= S.paused_until;
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		for (int i = 0; listening && i < p->ls->n; i++)
			pfd[n++] = (struct pollfd){ .fd = p->ls->fd[i], .events = POLLIN };
		if (poll(pfd, n, poll_timeout(now, listening)) < 0) {
			if (errno != EINTR) {
				log_msg(LOG_ERR, "poll: %s", strerror(errno));
				nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			}
			continue;
		}
		now = io_now_ms();
		if (pfd[0].revents)
			on_signals(now);
		for (nfds_t i = 1; i < n && !S.stopping; i++)
			if (pfd[i].revents && accept_some((int)i - 1, now) < 0)
				break;
	}
}
