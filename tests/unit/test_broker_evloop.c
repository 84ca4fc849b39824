/* test_broker_evloop.c — the broker's event loops.  Built in here
 * (rather than linked): the poll(2) one, used where there is no epoll,
 * so that Linux tests it too; test_broker_evloop_epoll.c includes this
 * file again for the epoll one, with the same cases. */
#ifdef EVLOOP_TEST_EPOLL
#include "../../broker/evloop_epoll.c"
#else
#define EVLOOP_POLL 1
#include "../../broker/evloop_poll.c"
#endif
#include "unit.h"

#include <unistd.h>

#define NPIPES 40

/* A source that counts what its handler was called with. */
struct probe {
	struct ev_source src;
	int calls;
	unsigned events;
};

static void probe_ready(struct ev_source *src, unsigned events)
{
	struct probe *p = (struct probe *)(void *)src;
	p->calls++;
	p->events |= events;
}

static void probes_init(struct probe *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (struct probe){ { probe_ready }, 0, 0 };
}

static int has(const struct ev *evs, int n, const struct probe *p,
	       unsigned bits)
{
	for (int i = 0; i < n; i++)
		if (evs[i].src == &p->src && (evs[i].events & bits) == bits)
			return 1;
	return 0;
}

static void basics(void)
{
	struct evloop *l = evloop_new();
	struct ev evs[8];
	struct probe rd[2];
	int p[2];
	probes_init(rd, 2);
	CHECK(l != NULL);
	CHECK(pipe(p) == 0);
	CHECK(evloop_add(l, p[0], EV_IN, &rd[0].src) == 0);
	CHECK(evloop_add(l, p[0], EV_IN, &rd[0].src) == -1 && errno == EEXIST);
	CHECK(evloop_wait(l, evs, 8, 0) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(evloop_wait(l, evs, 8, 1000) == 1 && evs[0].src == &rd[0].src &&
	      evs[0].events == EV_IN);
	/* The loop's owner calls the handler the descriptor carries. */
	ev_dispatch(&evs[0]);
	CHECK(rd[0].calls == 1 && rd[0].events == EV_IN && rd[1].calls == 0);
	CHECK(evloop_add(l, p[1], EV_OUT, &rd[1].src) == 0);
	CHECK(evloop_wait(l, evs, 8, 0) == 2 && has(evs, 2, &rd[1], EV_OUT));
	for (int i = 0; i < 2; i++)
		ev_dispatch(&evs[i]);
	CHECK(rd[0].calls == 2 && rd[1].calls == 1 && rd[1].events == EV_OUT);
	CHECK(evloop_mod(l, p[1], 0, &rd[1].src) == 0);
	CHECK(evloop_wait(l, evs, 8, 0) == 1);
	CHECK(evloop_del(l, p[1]) == 0);
	CHECK(evloop_del(l, p[1]) == -1 && errno == ENOENT);
	close(p[1]); /* the reader sees the hang-up */
	char c;
	CHECK(read(p[0], &c, 1) == 1);
	CHECK(evloop_wait(l, evs, 8, 1000) == 1 && (evs[0].events & EV_ERR));
	close(p[0]);
	evloop_free(l);
}

/* Deleting swaps the last entry into the hole: every survivor must still
 * be found, with its own pointer. */
static void many(void)
{
	struct evloop *l = evloop_new();
	int p[NPIPES][2], ok = 1;
	struct ev evs[NPIPES];
	struct probe pr[NPIPES];
	probes_init(pr, NPIPES);
	for (int i = 0; i < NPIPES; i++) {
		ok &= pipe(p[i]) == 0;
		ok &= evloop_add(l, p[i][0], EV_IN, &pr[i].src) == 0;
		ok &= write(p[i][1], "y", 1) == 1;
	}
	CHECK(ok);
	for (int i = 0; i < NPIPES; i += 3)
		ok &= evloop_del(l, p[i][0]) == 0;
	CHECK(ok);
	int n = evloop_wait(l, evs, NPIPES, 1000);
	CHECK(n == NPIPES - (NPIPES + 2) / 3);
	for (int i = 0; i < NPIPES; i++)
		ok &= has(evs, n, &pr[i], EV_IN) == (i % 3 != 0);
	CHECK(ok);
	/* At most max events, and the next wait starts after them. */
	CHECK(evloop_wait(l, evs, 5, 0) == 5);
	struct ev_source *first = evs[0].src;
	CHECK(evloop_wait(l, evs, 5, 0) == 5 && evs[0].src != first);
	for (int i = 0; i < NPIPES; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	evloop_free(l);
}

/* The broker closes a connection mid-batch and may accept another that
 * gets the same descriptor number before the batch is done: the events
 * already returned keep the old pointer (the broker frees it only after
 * the batch), and the next wait reports the new one, never the old. */
static void reuse(void)
{
	struct evloop *l = evloop_new();
	struct ev evs[4];
	struct probe pr[3], *old_tag = &pr[0], *new_tag = &pr[1], *bt = &pr[2];
	int a[2], b[2];
	probes_init(pr, 3);
	CHECK(pipe(a) == 0 && pipe(b) == 0);
	CHECK(evloop_add(l, a[0], EV_IN, &old_tag->src) == 0);
	CHECK(evloop_add(l, b[0], EV_IN, &bt->src) == 0);
	CHECK(write(a[1], "x", 1) == 1 && write(b[1], "x", 1) == 1);
	CHECK(evloop_wait(l, evs, 4, 1000) == 2);
	int fd = a[0];
	CHECK(evloop_del(l, fd) == 0 && close(fd) == 0);
	CHECK(dup2(b[0], fd) == fd); /* the number comes back at once */
	CHECK(evloop_add(l, fd, EV_IN, &new_tag->src) == 0);
	CHECK(has(evs, 2, old_tag, EV_IN) && has(evs, 2, bt, EV_IN));
	int n = evloop_wait(l, evs, 4, 1000);
	CHECK(n == 2 && has(evs, n, new_tag, EV_IN) && has(evs, n, bt, EV_IN) &&
	      !has(evs, n, old_tag, 0));
	CHECK(evloop_del(l, fd) == 0 && close(fd) == 0);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	evloop_free(l);
}

int main(void)
{
	basics();
	many();
	reuse();
	return UNIT_DONE();
}
