/* admit.c — accepting, admitting and handing connections to the
 * launchers; see admit.h. */
#include "admit.h"
#include "addr.h"
#include "banwatch.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "proxywait.h"
#include "ratelog.h"
#include "rulefile.h"
#include "sessions.h"
#include "server.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
	const struct admit_params *p;
	int stopping;
	int held;                /* admit_hold */
	uint32_t next_id;
	long long paused_until;  /* accept again from then, ms */
	long long pause_ms;      /* the next pause's length */
	int troubled;            /* in a pause episode */
	int told;                /* this episode was logged */
	long long trouble_since; /* the episode's first failure, ms */
	long long told_at;       /* when an episode was last logged, ms */
	unsigned untold;         /* episodes since, not logged */
	struct ratelog refusals;
} A = { .pause_ms = PAUSE_MIN_MS,
	.refusals = { "connections refused", REFUSALS_LOGGED_PER_S, 0, 0, 0 } };

void admit_init(const struct admit_params *p)
{
	A.p = p;
	A.refusals.window = io_now_ms();
	proxywait_init(admit_serve);
}

/* Out of descriptors, memory or processes: stop polling the listeners
 * for a while instead of spinning on the error.  At the limit, each
 * session's end lets one in and the next accept fails again: a pause
 * episode is logged (with its "again") at most once in PAUSE_LOG_MS,
 * and the next says how many came in between. */
static void pause_accepting(const char *what, int err, long long now)
{
	if (!A.troubled) {
		A.trouble_since = now;
		A.told = A.told_at == 0 || now - A.told_at >= PAUSE_LOG_MS;
		if (A.told) {
			log_msg(LOG_ERR, "%s: %s; pausing new connections "
				"(%u more pauses since the last report)", what,
				strerror(err), A.untold);
			A.told_at = now;
			A.untold = 0;
		} else {
			A.untold++;
		}
	}
	A.troubled = 1;
	A.paused_until = now + A.pause_ms;
	A.pause_ms = A.pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : A.pause_ms * 2;
}

/* A handler started for a connection accepted at accepted_ms.  One
 * accepted before the trouble began says nothing (it may have been
 * handed over before the failure that started the episode). */
static void accepting_fine(long long accepted_ms)
{
	if (A.troubled && accepted_ms < A.trouble_since)
		return;
	if (A.troubled && A.told)
		log_msg(LOG_NOTICE, "accepting connections again");
	A.troubled = 0;
	A.pause_ms = PAUSE_MIN_MS;
}

/* Tells the peer why, without waiting for it, and closes. */
static void refuse(int fd, const char *peer, enum admission why,
		   unsigned retry_s, long long now)
{
	char msg[160];
	int n = limits_message(msg, sizeof msg, why, retry_s);
	if (n > 0 && io_write_some(fd, msg, (size_t)n, 1) < 0)
		log_msg(LOG_INFO, "refusing %s: %s", peer, strerror(errno));
	if (ratelog_take(&A.refusals, now))
		log_msg(LOG_NOTICE, "refused %s: %s", peer, limits_reason(why));
	close(fd);
}

/* A start that will not run: "server busy" to its peer. */
static void start_refused(const struct start *st, long long now)
{
	limits_release(st->source);
	refuse(st->fd, st->peer, ADMIT, 1, now);
}

static uint32_t next_id(void)
{
	if (++A.next_id == 0)
		A.next_id = 1;
	return A.next_id;
}

void admit_serve(int fd, int li, const struct sockaddr *peer,
		 const struct sockaddr *local_sa, long long now)
{
	struct start st = { .fd = fd, .accepted_ms = now };
	struct endpoint remote, local;
	unsigned retry;
	addr_format(peer, st.peer, sizeof st.peer);
	if (addr_endpoint(peer, &remote) != 0 ||
	    (local_sa ? addr_endpoint(local_sa, &local) :
			listener_local(A.p->ls, li, fd, &local)) != 0) {
		log_msg(LOG_WARNING, "connection from %s: %s", st.peer,
			strerror(errno));
		close(fd);
		return;
	}
	if (banwatch_refused(fd, st.peer, peer) ||
	    rulefile_refused(fd, st.peer, peer))
		return;
	enum admission adm = limits_admit(peer, sessions_in_use(), now,
					  &st.source, &retry);
	if (adm != ADMIT) {
		refuse(fd, st.peer, adm, retry, now);
		return;
	}
	st.id = next_id();
	st.launcher = launchers_pick(); /* one has room: admit_pollfds */
	if (st.launcher < 0 || sessions_start(&st) != 0) {
		start_refused(&st, now); /* cannot happen */
		return;
	}
	/* On failure the launcher is lost, and its starts with it. */
	(void)launchers_send(st.launcher, st.id, fd, &remote, &local);
}

/* Accepts one connection from listener i.  Returns 1 if it took one,
 * 0 when none is waiting, -1 when accepting is paused. */
static int accept_one(int i, long long now)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd = listener_accept(A.p->ls, i, (struct sockaddr *)&ss, &len);
	if (fd >= 0 && A.p->ls->proxy[i]) /* its header first */
		proxywait_add(fd, i, (struct sockaddr *)&ss, now);
	else if (fd >= 0)
		admit_serve(fd, i, (struct sockaddr *)&ss, NULL, now);
	if (fd >= 0)
		return 1;
	int e = errno;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		pause_accepting("accept", e, now);
		return -1;
	}
	if (e == EINTR || e == ECONNABORTED || e == EPROTO)
		return 1; /* try again */
	if (e != EAGAIN && e != EWOULDBLOCK)
		log_msg(LOG_WARNING, "accept: %s", strerror(e));
	return 0;
}

void admit_ready(const struct pollfd *pfd, int n, long long now)
{
	(void)now; /* each accept is timed: a flood takes a while */
	int budget = ACCEPTS_PER_WAKEUP;
	for (int k = 0; k < n && !A.stopping; k++) {
		if (!pfd[k].revents)
			continue;
		int r = 1;
		while (budget > 0 && r == 1 && launchers_pick() >= 0) {
			r = accept_one(k, io_now_ms());
			budget--;
		}
		if (r < 0)
			return;
	}
}

int admit_pollfds(struct pollfd *pfd, long long now)
{
	if (A.stopping || A.held || now < A.paused_until ||
	    launchers_pick() < 0)
		return 0;
	for (int i = 0; i < A.p->ls->n; i++)
		pfd[i] = (struct pollfd){ .fd = A.p->ls->fd[i], .events = POLLIN };
	return A.p->ls->n;
}

long long admit_due(long long now)
{
	long long due = ratelog_due(&A.refusals);
	if (due >= 0)
		due = due > now ? due - now : 0;
	if (!A.stopping && A.paused_until > now &&
	    (due < 0 || A.paused_until - now < due))
		due = A.paused_until - now;
	return due;
}

void admit_tick(long long now)
{
	ratelog_flush(&A.refusals, now);
}

void admit_hold(int on)
{
	A.held = on;
}

void admit_stop(void)
{
	A.stopping = 1;
	listeners_close(A.p->ls);
	proxywait_forget();
}

static void on_started(uint32_t id, pid_t pid, int li, long long now)
{
	struct start st;
	(void)now; /* the session's time starts at its accept */
	if (sessions_start_take(id, &st) != 0) {
		log_msg(LOG_ERR, "launcher %d started pid %ld for nothing",
			li, (long)pid);
		return;
	}
	close(st.fd);
	accepting_fine(st.accepted_ms);
	log_msg(LOG_INFO, "connection from %s pid %ld (%u open)", st.peer,
		(long)pid, sessions_count() + 1);
	if (sessions_add(pid, li, &st) != 0) /* cannot happen: limits */
		log_msg(LOG_ERR, "session table full: pid %ld untracked",
			(long)pid);
	if (A.stopping && kill(pid, SIGTERM) != 0 && errno != ESRCH)
		log_msg(LOG_WARNING, "kill %ld: %s", (long)pid, strerror(errno));
}

static void on_failed(uint32_t id, int err, long long now)
{
	struct start st;
	char what[PATH_MAX + 16];
	if (sessions_start_take(id, &st) != 0) {
		log_msg(LOG_ERR, "a launcher failed start %lu, unknown",
			(unsigned long)id);
		return;
	}
	start_refused(&st, now);
	snprintf(what, sizeof what, "cannot run %s", A.p->handler_path);
	pause_accepting(what, err, now);
}

static void on_ended(pid_t pid, int status, long long now)
{
	if (!sessions_end(pid, status, now))
		log_msg(LOG_INFO, "reaped unknown child %ld", (long)pid);
}

static void on_lost(int li, long long now)
{
	struct start st;
	unsigned starts = 0;
	while (sessions_start_take_of(li, &st) == 0) {
		start_refused(&st, now);
		starts++;
	}
	unsigned dropped = sessions_drop_launcher(li, now);
	log_msg(LOG_ERR, "launcher %d lost: %u connections refused, %u "
		"sessions no longer counted", li, starts, dropped);
}

const struct launcher_events admit_events = {
	on_started, on_failed, on_ended, on_lost
};
