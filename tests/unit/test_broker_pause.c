/* test_broker_pause.c — the broker's accept pause (out of descriptors)
 * when its event loop refuses to take the listener out or put it back.
 *
 * This file defines evloop_new ... evloop_wait itself, so the broker in
 * libbroker.a links against them instead of its own: the poll(2) loop,
 * built in here under other names, with faults injected on the
 * listener.  Each case runs broker_run in a child with a small
 * descriptor limit; handlers connect until it pauses. */
#define EVLOOP_POLL 1
#define evloop_new real_evloop_new
#define evloop_free real_evloop_free
#define evloop_add real_evloop_add
#define evloop_mod real_evloop_mod
#define evloop_del real_evloop_del
#define evloop_wait real_evloop_wait
#include "../../broker/evloop_poll.c"
#undef evloop_new
#undef evloop_free
#undef evloop_add
#undef evloop_mod
#undef evloop_del
#undef evloop_wait
#include "../../broker/broker.h"
#include "log.h"
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOFILE 16   /* the broker's descriptor limit: about 8 handlers */
#define CLIENTS 24  /* more than it can take */
#define FREED 6     /* handlers that hang up to make room */

struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);
int evloop_add(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src);
int evloop_mod(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src);
int evloop_del(struct evloop *l, int fd);
int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms);

/* Shared with the broker's process (MAP_SHARED). */
struct shared {
	int del_errno;      /* evloop_del(listener) fails with this */
	int del_really;     /* ... after deleting it (ENOENT: it was not in) */
	int mute_errno;     /* evloop_mod(listener, 0) fails with this */
	int readd_failures; /* so many adds of the listener after the first
			       fail with ENOMEM */
	int listener_adds;
	long waits;         /* evloop_wait calls */
	long handlers;      /* evloop_add of anything but the listener */
};
static struct shared *sh;

static int is_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof on;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
	       on;
}

struct evloop *evloop_new(void)
{
	return real_evloop_new();
}

void evloop_free(struct evloop *l)
{
	real_evloop_free(l);
}

int evloop_add(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	if (!is_listener(fd)) {
		sh->handlers++;
	} else if (sh->listener_adds++ > 0 && sh->readd_failures > 0) {
		sh->readd_failures--;
		errno = ENOMEM;
		return -1;
	}
	return real_evloop_add(l, fd, events, src);
}

int evloop_mod(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	if (events == 0 && sh->mute_errno && is_listener(fd)) {
		errno = sh->mute_errno;
		return -1;
	}
	return real_evloop_mod(l, fd, events, src);
}

int evloop_del(struct evloop *l, int fd)
{
	if (sh->del_errno && is_listener(fd)) {
		if (sh->del_really)
			(void)real_evloop_del(l, fd);
		errno = sh->del_errno;
		return -1;
	}
	return real_evloop_del(l, fd);
}

int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms)
{
	sh->waits++;
	return real_evloop_wait(l, out, max, timeout_ms);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct run {
	char dir[64], path[96], logpath[96];
	pid_t pid;
	int clients[CLIENTS];
};

/* Starts the broker in a child, its log in a file; 0 once it listens. */
static int start(struct run *r)
{
	int ready[2];
	for (int i = 0; i < CLIENTS; i++)
		r->clients[i] = -1; /* finish closes only those opened */
	memcpy(r->dir, "/tmp/natter-pause-XXXXXX", 25);
	if (!mkdtemp(r->dir) || pipe(ready) != 0)
		return -1;
	snprintf(r->path, sizeof r->path, "%s/b.sock", r->dir);
	snprintf(r->logpath, sizeof r->logpath, "%s/log", r->dir);
	int logfd = open(r->logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (logfd < 0)
		return -1;
	fflush(stdout);
	r->pid = fork();
	if (r->pid == 0) {
		struct rlimit rl = { NOFILE, NOFILE };
		close(ready[0]);
		if (dup2(logfd, 2) < 0 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(99);
		close(logfd);
		log_init("broker", LOG_TO_STDERR);
		struct broker_config cfg = { .socket_path = r->path,
					     .ready_fd = ready[1] };
		_exit(broker_run(&cfg));
	}
	close(logfd);
	close(ready[1]);
	char c;
	ssize_t n = r->pid > 0 ? read(ready[0], &c, 1) : -1;
	close(ready[0]);
	return n == 1 ? 0 : -1;
}

static int has_logged(const struct run *r, const char *what)
{
	char buf[16384];
	int fd = open(r->logpath, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, what) != NULL;
}

static int wait_logged(const struct run *r, const char *what, long ms)
{
	long long end = now_ms() + ms;
	while (!has_logged(r, what)) {
		if (now_ms() > end)
			return 0;
		nap_ms(10);
	}
	return 1;
}

/* Connects more handlers than the broker can take: 1 once it paused. */
static int crowd(struct run *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, r->path, strlen(r->path) + 1);
	for (int i = 0; i < CLIENTS; i++) {
		r->clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (r->clients[i] < 0)
			return 0;
		/* A broker whose pause fails stops (del_and_mute_fail),
		 * maybe before the last of these connect: the log says
		 * whether it paused first. */
		if (connect(r->clients[i], (struct sockaddr *)&sa,
			    sizeof sa) != 0)
			break;
	}
	return wait_logged(r, "accept: Too many open files; pausing", 5000);
}

/* evloop_wait calls in a 300 ms window of the pause: a spinning loop
 * makes thousands, a paused one none or a few. */
static long waits_in_pause(void)
{
	long before = sh->waits;
	nap_ms(300); /* a measuring window, not a wait for a condition */
	return sh->waits - before;
}

/* The first handlers hang up, so the broker has room again: 1 when it
 * accepts some of those it kept waiting. */
static int accepts_again(struct run *r, long ms)
{
	long before = sh->handlers;
	for (int i = 0; i < FREED; i++) {
		close(r->clients[i]);
		r->clients[i] = -1;
	}
	long long end = now_ms() + ms;
	while (sh->handlers == before) {
		if (now_ms() > end)
			return 0;
		nap_ms(10);
	}
	return 1;
}

/* SIGTERM unless it has ended; its exit status, or -1 if it would not. */
static int finish(struct run *r, int term)
{
	int st = -1;
	if (term)
		kill(r->pid, SIGTERM);
	long long end = now_ms() + 5000;
	pid_t w;
	while ((w = waitpid(r->pid, &st, WNOHANG)) == 0 && now_ms() < end)
		nap_ms(10);
	if (w == 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &st, 0);
	}
	if (w <= 0)
		st = -1;
	for (int i = 0; i < CLIENTS; i++)
		if (r->clients[i] >= 0)
			close(r->clients[i]);
	unlink(r->logpath);
	unlink(r->path);
	rmdir(r->dir);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void reset(int del_errno, int del_really, int mute_errno,
		  int readd_failures)
{
	memset(sh, 0, sizeof *sh);
	sh->del_errno = del_errno;
	sh->del_really = del_really;
	sh->mute_errno = mute_errno;
	sh->readd_failures = readd_failures;
}

/* evloop_del fails: the listener stays in the loop asking for nothing;
 * the pause does not spin, and accepting resumes. */
static void del_fails(void)
{
	struct run r;
	reset(EIO, 0, 0, 0);
	CHECK(start(&r) == 0);
	CHECK(crowd(&r));
	CHECK(wait_logged(&r, "cannot remove the listener from the event "
			  "loop (Input/output error); it asks for nothing",
			  1000));
	CHECK(waits_in_pause() < 20);
	CHECK(accepts_again(&r, 5000));
	CHECK(finish(&r, 1) == 0);
}

/* evloop_del and the muting evloop_mod both fail: the loop is broken,
 * and the broker stops (as when evloop_wait fails) rather than spin. */
static void del_and_mute_fail(void)
{
	struct run r;
	reset(EIO, 0, EIO, 0);
	CHECK(start(&r) == 0);
	CHECK(crowd(&r));
	CHECK(wait_logged(&r, "cannot stop polling the listener: Input/output "
			  "error, then Input/output error", 1000));
	CHECK(finish(&r, 0) == BROKER_EXIT_TEMP);
}

/* evloop_del says ENOENT (it was not in the loop): that is a pause too,
 * and the listener is added back after it; an add that fails is tried
 * again a pause later, not at once and over and over. */
static void not_in_loop_then_readd_fails(void)
{
	struct run r;
	reset(ENOENT, 1, 0, 1);
	CHECK(start(&r) == 0);
	CHECK(crowd(&r));
	CHECK(waits_in_pause() < 20);
	CHECK(wait_logged(&r, "cannot poll the listener again: Cannot "
			  "allocate memory; retrying every 100 ms", 2000));
	CHECK(waits_in_pause() < 20);
	CHECK(accepts_again(&r, 5000));
	CHECK(has_logged(&r, "accepting handlers again after 1 failed tries"));
	CHECK(finish(&r, 1) == 0);
}

int main(void)
{
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	if (sh == MAP_FAILED)
		return UNIT_DONE();
	signal(SIGPIPE, SIG_IGN);
	del_fails();
	del_and_mute_fail();
	not_in_loop_then_readd_fails();
	return UNIT_DONE();
}
