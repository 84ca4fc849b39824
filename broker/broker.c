/* broker.c — broker_run: set up, run the event loop, tear down.
 *
 * Three layers: this file owns the loop, the listener and the signals;
 * the peer layer (peer.h) the handlers' connections; the chat layer
 * (chat.h) what they say.  Each descriptor in the loop carries its own
 * handler (evloop.h): the listener's accepts, the signal pipe's reads
 * the signals, a peer's reads and writes.
 *
 * One iteration: wait for readiness (not at all while queues wait to
 * be written); accept, read and carry out frames (queueing output,
 * deferring cut-offs to after each request); close cut-off handlers
 * whose time ran out; write up to FLUSH_BATCH queues, oldest first;
 * free the peers closed during the iteration. */
#include "broker.h"
#include "chat.h"
#include "exitcode.h"
#include "fdnew.h"
#include "io.h"
#include "log.h"
#include "peercred.h"
#include "selfpipe.h"
#include "sockdir.h"
#include "storeloop.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_BATCH 64      /* accepts per readiness of the listener */
/* Out of descriptors: stop polling the listener this long, or until a
 * handler's connection closes, whichever comes first; short, so that
 * descriptors freed elsewhere are used within a fraction of a second. */
#define EMFILE_PAUSE_MS 100
#define PAUSE_LOG_MS 10000   /* a pause is logged once in this, with a count */
/* Queues written between two looks for input.  Writing all of a big
 * room's queues takes a while (each write wakes a handler, which may
 * run first), and what arrives meanwhile would wait for the end; in
 * batches, a message read mid-round reaches the queues not yet written
 * in this round at once, and every queue still gets one write a round,
 * with all that is in it. */
#define FLUSH_BATCH 16
#define EVENTS_MAX 256       /* events taken from one wait */

struct server {
	const struct broker_config *cfg;
	struct evloop *loop;
	struct ev_source listener; /* ready: accept_some */
	struct ev_source signals;  /* ready: handle_signals */
	struct ev_source parent;   /* ready: parent_gone */
	int lfd, sigfd;
	int listening;             /* lfd is polled for input; when 0 it is
				      out of the evloop or in it asking
				      for nothing (pause_accepting) */
	long long accept_resume;   /* EMFILE pause: poll lfd again then */
	unsigned resume_failures;  /* tries to poll lfd again that failed */
	unsigned pauses;           /* accept pauses not logged yet */
	long long pause_logged;    /* when one was last logged (ms) */
	int stop;                  /* SIGTERM or SIGINT came */
	int broken;                /* the event loop failed */
	int chat_up;               /* chat_init was called: chat_free */
	long long store_due;       /* run the room log again then, or -1 */
	struct chat chat;
	struct peers peers;
	struct storeloop store;    /* the room log's links (Redis) */
};

#define SERVER_OF(src, field) \
	((struct server *)(void *)((char *)(src) - \
				   offsetof(struct server, field)))

static const int broker_sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
static const int no_sigs[] = { 0 };

/* Thousands of handlers need thousands of descriptors. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_msg(LOG_NOTICE, "cannot raise the descriptor limit: %s",
			strerror(errno));
}

/* Handlers run as our user; anyone else is refused, root included: a
 * session reads from the network and should never run as root, and a
 * refusal in the log says so at once. */
static int peer_allowed(int fd)
{
	uid_t uid;
	if (peercred_uid(fd, &uid) != 0) {
		log_msg(LOG_WARNING, "refused a handler: cannot learn its "
			"uid: %s", strerror(errno));
		return 0;
	}
	if (uid == geteuid())
		return 1;
	log_msg(LOG_WARNING, "refused a handler with uid %ld (ours is %ld)",
		(long)uid, (long)geteuid());
	return 0;
}

/* Out of descriptors or memory: stop polling the listener for
 * EMFILE_PAUSE_MS rather than fail an accept on every pass.  Whatever
 * evloop_del returns, `listening` is 0 afterwards, and rightly: the
 * listener is out of the loop (ENOENT says it already was), or, when it
 * cannot be taken out, left in asking for nothing.  A loop that allows neither is
 * broken, and the level-triggered listener would wake it at once, pass
 * after pass: -1, and the broker stops as when evloop_wait fails. */
static int pause_accepting(struct server *s)
{
	long long now = io_now_ms();
	if (s->pause_logged == 0 || now - s->pause_logged >= PAUSE_LOG_MS) {
		log_msg(LOG_WARNING, "accept: %s; pausing %d ms at a time, or "
			"until a handler leaves (%u more pauses since the last "
			"report)", strerror(errno), EMFILE_PAUSE_MS, s->pauses);
		s->pause_logged = now;
		s->pauses = 0;
	} else {
		s->pauses++;
	}
	s->accept_resume = now + EMFILE_PAUSE_MS;
	s->listening = 0;
	if (evloop_del(s->loop, s->lfd) == 0 || errno == ENOENT)
		return 0;
	int why = errno;
	if (evloop_mod(s->loop, s->lfd, 0, &s->listener) == 0) {
		log_msg(LOG_WARNING, "cannot remove the listener from the "
			"event loop (%s); it asks for nothing instead",
			strerror(why));
		return 0;
	}
	log_msg(LOG_ERR, "cannot stop polling the listener: %s, then %s",
		strerror(why), strerror(errno));
	return -1;
}

/* After a pause: the listener is polled again, added back or (when
 * pause_accepting could only quiet it) asked for input again.  If the
 * loop refuses, accepting stays paused and is tried again a pause later;
 * the first refusal and the recovery are logged. */
static void resume_accepting(struct server *s, long long now)
{
	if (evloop_add(s->loop, s->lfd, EV_IN, &s->listener) == 0 ||
	    (errno == EEXIST &&
	     evloop_mod(s->loop, s->lfd, EV_IN, &s->listener) == 0)) {
		if (s->resume_failures)
			log_msg(LOG_NOTICE, "accepting handlers again after "
				"%u failed tries", s->resume_failures);
		s->listening = 1;
		s->resume_failures = 0;
		return;
	}
	if (s->resume_failures++ == 0)
		log_msg(LOG_ERR, "cannot poll the listener again: %s; "
			"retrying every %d ms", strerror(errno),
			EMFILE_PAUSE_MS);
	s->accept_resume = now + EMFILE_PAUSE_MS;
}

static void accept_one(struct server *s, int fd)
{
	if (!peer_allowed(fd)) {
		close(fd);
		return;
	}
	if (!chat_accept(&s->chat, fd)) {
		log_msg(LOG_ERR, "cannot take a handler: %s", strerror(errno));
		close(fd);
	}
}

/* The listener's handler.  A loop that can stop polling it neither
 * way is broken (see pause_accepting). */
static void accept_some(struct ev_source *src, unsigned events)
{
	struct server *s = SERVER_OF(src, listener);
	(void)events;
	if (!s->listening)
		return; /* left in the loop by a pause: an error report */
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = fdnew_accept(s->lfd, NULL, NULL, 1);
		if (fd >= 0) {
			accept_one(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			s->broken |= pause_accepting(s) != 0;
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_msg(LOG_ERR, "accept: %s", strerror(errno));
		return;
	}
}

/* The signal pipe's handler: SIGHUP reopens, SIGTERM and SIGINT stop. */
static void handle_signals(struct ev_source *src, unsigned events)
{
	struct server *s = SERVER_OF(src, signals);
	(void)events;
	unsigned got = selfpipe_drain();
	if (got & (1u << SIGHUP)) {
		log_reopen();
		chat_reopen(&s->chat);
	}
	if (got & (1u << SIGTERM | 1u << SIGINT))
		s->stop = 1;
}

/* natterd's life line (broker_config.parent_fd) readable: only its end
 * of file can come, as natterd never writes.  natterd is gone, however
 * it ended: stop as at SIGTERM, so no orphan keeps the socket. */
static void parent_gone(struct ev_source *src, unsigned events)
{
	struct server *s = SERVER_OF(src, parent);
	(void)events;
	log_msg(LOG_NOTICE, "natterd is gone; stopping");
	s->stop = 1;
	if (evloop_del(s->loop, s->cfg->parent_fd) != 0)
		log_msg(LOG_WARNING, "evloop_del: %s", strerror(errno));
}

/* Until the next deadline: a draining handler, the accept pause, a
 * count of refused logins to log, or the room log's timed work. */
static int next_timeout(struct server *s, long long now)
{
	long long t = chat_due(&s->chat);
	long long d = peers_next_deadline(&s->peers);
	if (s->store_due >= 0 && (t < 0 || s->store_due < t))
		t = s->store_due;
	if (d >= 0 && (t < 0 || d < t))
		t = d;
	if (!s->listening && (t < 0 || s->accept_resume < t))
		t = s->accept_resume;
	if (t < 0)
		return -1;
	return t <= now ? 0 : (int)(t - now > 60000 ? 60000 : t - now);
}

/* The room log's completions so far: the lines read this pass so
 * far, logged, are fanned out (and their senders acknowledged).  Done
 * midway through a pass as well as at its end: with history on, a
 * line reaches the queues only at its completion, and a pass that read
 * a burst would otherwise put all of it into the queues at once, past
 * their high water, holding the senders (peer.h) where history off
 * writes the queues midway and holds no one. */
static void logged_lines(struct server *s)
{
	long long now = io_now_ms();
	int t = history_run(&s->chat, now);
	s->store_due = t < 0 ? -1 : now + t;
	storeloop_sync(&s->store); /* links made or lost by store_run */
	peers_settle(&s->peers); /* cuts made by the completions */
}

/* The room log's completions come here, once a pass, after the
 * frames that asked for them (chat.h, history.h): lines fanned out,
 * replays sent. */
static void timers(struct server *s)
{
	long long now = io_now_ms();
	peers_expire(&s->peers, now);
	chat_timers(&s->chat, now);
	if (!s->listening && now >= s->accept_resume)
		resume_accepting(s, now);
	logged_lines(s);
}

/* Writes up to `most` queues; once none is left to write, counts what
 * is read afresh (pass_in). */
static void write_queues(struct server *s, size_t most)
{
	if (peers_flush(&s->peers, most))
		s->peers.pass_in = 0;
}

/* A queue is written once a round (FLUSH_BATCH), so that many frames
 * leave in one write; but what is read meanwhile is fanned out to
 * every queue, and a room's burst (many senders at once) could fill the
 * queues of people who read promptly.  So once a quarter of a queue's
 * bound has been read since every queue was written, all of them are
 * written before more is read.  Between events no room is being
 * walked, so a connection ending here is safe; its later events in
 * this batch are skipped, as for any closed one. */
static void write_queues_midway(struct server *s)
{
	if (s->peers.pass_in < s->peers.queue_max / 4)
		return;
	logged_lines(s);
	write_queues(s, SIZE_MAX);
}

/* At once while queues wait to be written, unless the first waits
 * for its turn (peer.h: pacing): then until that turn at most. */
static int wait_timeout(struct server *s)
{
	long long now = io_now_ms();
	int t = next_timeout(s, now);
	if (!s->peers.dirty.head)
		return t;
	if (s->peers.pace_due <= now)
		return 0;
	int d = (int)(s->peers.pace_due - now);
	return t >= 0 && t < d ? t : d;
}

/* 0 after SIGTERM or SIGINT, 1 when the event loop failed. */
static int serve(struct server *s)
{
	static struct ev evs[EVENTS_MAX];
	while (!s->stop) {
		int n = evloop_wait(s->loop, evs, EVENTS_MAX,
				    wait_timeout(s));
		if (n < 0) {
			log_msg(LOG_ERR, "evloop_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			ev_dispatch(&evs[i]);
			if (s->broken)
				return 1;
			write_queues_midway(s);
		}
		storeloop_pass_end(&s->store);
		timers(s);
		/* stopping: what the queues hold goes now or never */
		if (s->stop)
			s->peers.pace_ms = 0;
		write_queues(s, s->stop ? SIZE_MAX : FLUSH_BATCH);
		size_t had = s->peers.count;
		peers_free_dead(&s->peers);
		if (!s->listening && s->peers.count < had)
			s->accept_resume = 0; /* descriptors freed: try now */
	}
	return 0;
}

/* 0, or the exit status that says why the broker cannot start. */
static int setup(struct server *s, const struct broker_config *cfg,
		 struct sockdir_bound *bound)
{
	s->cfg = cfg;
	s->lfd = s->sigfd = -1;
	s->store_due = -1;
	s->listener.ready = accept_some;
	s->signals.ready = handle_signals;
	s->parent.ready = parent_gone;
	if (!cfg->socket_path) {
		log_msg(LOG_ERR, "no broker socket path");
		return EXIT_USAGE;
	}
	raise_nofile();
	/* A crash or exit of a handler must not kill us; io_write_some
	 * uses MSG_NOSIGNAL too. */
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit (RLIMIT_FSIZE) a transcript write fails
	 * with EFBIG; the signal would kill us for it. */
	signal(SIGXFSZ, SIG_IGN);
	selfpipe_reset(no_sigs); /* a forking parent's pipe is not ours */
	s->sigfd = selfpipe_init(broker_sigs);
	if (s->sigfd < 0) {
		log_msg(LOG_ERR, "selfpipe: %s", strerror(errno));
		return EXIT_TEMP;
	}
	s->chat_up = 1;
	s->chat.hist.redis = cfg->redis;
	s->chat.hist.redis_password = cfg->redis_password;
	s->chat.host_seed = cfg->socket_path;
	int status = chat_init(&s->chat, &s->peers, cfg->transcript,
			       cfg->state_dir, !cfg->no_history);
	if (status != 0) /* logged */
		return status;
	if (cfg->file_max)
		s->chat.file_max = cfg->file_max; /* files.h */
	if (!(s->loop = evloop_new())) {
		log_msg(LOG_ERR, "cannot start: %s", strerror(errno));
		return EXIT_TEMP;
	}
	peers_init(&s->peers, s->loop, cfg->queue_max ? cfg->queue_max
						      : BROKER_QUEUE_DEFAULT,
		   &chat_peer_ops, &s->chat);
	storeloop_init(&s->store, s->loop, history_store(&s->chat));
	storeloop_sync(&s->store); /* a Redis link being made: polled now */
	s->store_due = 0;
	int fd = sockdir_listen(cfg->socket_path, bound);
	if (fd < 0) /* logged */
		return fd == SOCKDIR_BUSY ? EXIT_TEMP : EXIT_USAGE;
	s->lfd = fd;
	if (evloop_add(s->loop, s->lfd, EV_IN, &s->listener) != 0 ||
	    evloop_add(s->loop, s->sigfd, EV_IN, &s->signals) != 0 ||
	    (cfg->parent_fd > 0 &&
	     evloop_add(s->loop, cfg->parent_fd, EV_IN, &s->parent) != 0)) {
		log_msg(LOG_ERR, "evloop_add: %s", strerror(errno));
		return EXIT_TEMP;
	}
	s->listening = 1;
	return 0;
}

/* Tells whoever waits for it that the broker serves.  A starter that
 * went away is no reason to stop serving. */
static void signal_ready(const struct broker_config *cfg)
{
	if (cfg->ready_fd >= 0) {
		if (io_write_all(cfg->ready_fd, "1", 1, 1000) != 0)
			log_msg(LOG_WARNING, "cannot tell that the broker is "
				"ready: %s", strerror(errno));
		close(cfg->ready_fd);
	}
	if (cfg->on_ready)
		cfg->on_ready();
}

static void teardown(struct server *s, struct sockdir_bound *bound,
		     int bound_ok)
{
	peers_close_all(&s->peers);
	if (bound_ok)
		sockdir_release(s->cfg->socket_path, bound);
	if (s->lfd >= 0)
		close(s->lfd);
	evloop_free(s->loop);
	if (s->chat_up)
		chat_free(&s->chat);
	selfpipe_reset(broker_sigs);
}

int broker_run(const struct broker_config *cfg)
{
	struct server *s = calloc(1, sizeof *s);
	if (!s) {
		log_msg(LOG_ERR, "broker: out of memory");
		if (cfg->ready_fd >= 0)
			close(cfg->ready_fd);
		return EXIT_TEMP;
	}
	struct sockdir_bound bound;
	int status = setup(s, cfg, &bound);
	if (status == 0) {
		signal_ready(cfg);
		log_msg(LOG_INFO, "broker listening on %s", cfg->socket_path);
		status = serve(s) == 0 ? 0 : EXIT_TEMP;
		log_msg(LOG_INFO, "broker stopping");
	} else if (cfg->ready_fd >= 0) {
		close(cfg->ready_fd); /* the starter sees the end, unready */
	}
	teardown(s, &bound, s->lfd >= 0);
	free(s);
	return status;
}
