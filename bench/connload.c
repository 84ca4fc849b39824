/* connload — connection-rate load generator for the benchmark.
 *
 * usage: connload [-c conc] [-n max] [-t secs] [-e text] host port
 *
 * Keeps conc connections to host:port (loopback only) under way at once,
 * each opened with a non-blocking connect(2) and done when the text
 * given with -e has arrived (then closed with a reset) or, without -e,
 * when the server has closed it after sending at least one byte.  Stops
 * after max connections or secs seconds, whichever comes first, and
 * prints one line:
 *
 *   connections=N errors=N seconds=S rate=R p50_ms=X p99_ms=X max_ms=X
 *
 * Latency is from connect(2) to done.  A connection that fails, or ends
 * before it is done, counts as an error.  Exit 0, 100 on bad usage, 111
 * when a system call fails. */
#include <sys/epoll.h>

#include "bench.h"

#define PROG "connload"
#define MAX_CONC 4096
#define EXPECT_MAX 64
#define TAIL_MAX 256

struct slot {
	int fd;
	int64_t t0;
	size_t got;		/* bytes received */
	size_t tlen;		/* bytes kept in tail (for matching) */
	char tail[TAIL_MAX];
};

struct run {
	struct sockaddr_storage addr;
	socklen_t alen;
	const char *expect;
	size_t elen;
	int ep;
	long started, done, errors, max;
	int64_t deadline;
	struct hist lat;
};

static void usage(void)
{
	fprintf(stderr, "usage: connload [-c conc] [-n max] [-t secs] "
	    "[-e text] host port\n");
	exit(100);
}

/* Opens the next connection in slot s, if the run wants more. */
static void slot_start(struct run *r, struct slot *s)
{
	struct epoll_event ev;

	s->fd = -1;
	if (r->started >= r->max || bench_now_ns() >= r->deadline)
		return;
	s->fd = bench_connect(&r->addr, r->alen);
	if (s->fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS)
			bench_die(PROG, "socket");
		r->started++;
		r->errors++;
		return;
	}
	s->t0 = bench_now_ns();
	s->got = s->tlen = 0;
	r->started++;
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = s;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, s->fd, &ev) == -1)
		bench_die(PROG, "epoll_ctl");
}

static void slot_finish(struct run *r, struct slot *s, int ok)
{
	if (ok) {
		hist_add(&r->lat, bench_now_ns() - s->t0);
		r->done++;
	} else {
		r->errors++;
	}
	if (r->expect != NULL)
		bench_close_reset(s->fd);
	else
		(void)close(s->fd);	/* epoll forgets a closed fd */
	slot_start(r, s);
}

/* Appends data to the slot's tail and tells whether the expected text
 * is in it.  The tail keeps the last EXPECT_MAX bytes when it fills. */
static int slot_match(struct run *r, struct slot *s, const char *p, size_t n)
{
	if (n > TAIL_MAX - s->tlen) {
		size_t keep = s->tlen < EXPECT_MAX ? s->tlen : EXPECT_MAX;

		memmove(s->tail, s->tail + s->tlen - keep, keep);
		s->tlen = keep;
		if (n > TAIL_MAX - keep) {
			p += n - (TAIL_MAX - keep);
			n = TAIL_MAX - keep;
		}
	}
	memcpy(s->tail + s->tlen, p, n);
	s->tlen += n;
	return bench_find(s->tail, s->tlen, r->expect, r->elen) != NULL;
}

static void slot_input(struct run *r, struct slot *s)
{
	char buf[4096];
	ssize_t n;

	n = read(s->fd, buf, sizeof buf);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF or reset: done only if inetd-style output came */
		slot_finish(r, s, n == 0 && r->expect == NULL && s->got > 0);
		return;
	}
	s->got += (size_t)n;
	if (r->expect != NULL && slot_match(r, s, buf, (size_t)n))
		slot_finish(r, s, 1);
}

static void run_loop(struct run *r, struct slot *slots, int conc)
{
	struct epoll_event evs[256];
	int i, n, live;

	for (;;) {
		live = 0;
		for (i = 0; i < conc; i++)
			live += slots[i].fd != -1;
		if (live == 0)
			return;
		n = epoll_wait(r->ep, evs, 256, 100);
		if (n == -1 && errno != EINTR)
			bench_die(PROG, "epoll_wait");
		for (i = 0; i < n; i++)
			slot_input(r, evs[i].data.ptr);
		if (bench_now_ns() > r->deadline + 2000000000LL)
			return;	/* stragglers are not counted */
	}
}

int main(int argc, char **argv)
{
	struct run r;
	struct slot *slots;
	const char *why;
	long conc = 1, secs = 5;
	int64_t t0;
	double el;
	int c, i;

	memset(&r, 0, sizeof r);
	r.max = 1000000;
	while ((c = getopt(argc, argv, "c:n:t:e:")) != -1) {
		switch (c) {
		case 'c': conc = bench_num(PROG, optarg, MAX_CONC); break;
		case 'n': r.max = bench_num(PROG, optarg, 100000000); break;
		case 't': secs = bench_num(PROG, optarg, 3600); break;
		case 'e': r.expect = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || conc < 1)
		usage();
	if (r.expect != NULL && ((r.elen = strlen(r.expect)) == 0 ||
	    r.elen > EXPECT_MAX)) {
		fprintf(stderr, "%s: -e text must be 1 to %d bytes\n", PROG,
		    EXPECT_MAX);
		return 100;
	}
	if (bench_loopback_addr(argv[optind], argv[optind + 1], &r.addr,
	    &r.alen, &why) == -1) {
		fprintf(stderr, "%s: %s: %s\n", PROG, argv[optind], why);
		return 100;
	}
	if (bench_raise_nofile() == -1)
		bench_die(PROG, "setrlimit");
	if ((r.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		bench_die(PROG, "epoll_create1");
	if ((slots = calloc((size_t)conc, sizeof *slots)) == NULL)
		bench_die(PROG, "calloc");
	t0 = bench_now_ns();
	r.deadline = t0 + (int64_t)secs * 1000000000;
	for (i = 0; i < conc; i++)
		slot_start(&r, &slots[i]);
	run_loop(&r, slots, (int)conc);
	el = (double)(bench_now_ns() - t0) / 1e9;
	printf("connections=%ld errors=%ld seconds=%.3f rate=%.1f p50_ms=%.3f "
	    "p99_ms=%.3f max_ms=%.3f\n", r.done, r.errors, el,
	    el > 0 ? (double)r.done / el : 0.0, hist_pct_ms(&r.lat, 50),
	    hist_pct_ms(&r.lat, 99), (double)r.lat.max_us / 1000.0);
	free(slots);
	return 0;
}
