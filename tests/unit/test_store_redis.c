/* test_store_redis.c — the room log's Redis Streams backend against a
 * real redis-server (test_redis_server.h): append and reads; two stores
 * (two brokers) on one Redis sharing sequence numbers and seeing each
 * other's lines as STORE_REMOTE, in one order, never their own; a room
 * read at first sight; the MAXLEN bound; dedupe across reopen; bad
 * entries written by hand; Redis killed and started again (one log line
 * each way, numbers not reused, the lines said meanwhile logged once
 * it is back, once); AUTH; append throughput. */
#include "../../broker/store/store_redis.h"
#include "test_redis_server.h"
#include "unit.h"

#include <stdint.h>

#define SEEN_MAX 2048

/* What one store's completions said. */
struct col {
	int appends, fails, reads, remotes;
	int status;                 /* the last append's */
	uint64_t seq;               /* the last append's */
	size_t n;                   /* the last read's */
	uint64_t rseqs[600];        /* the last read's */
	char rtext[600][32];
	/* every entry this store's caller learnt of, own and remote, in
	 * the order it learnt of them */
	uint64_t order[SEEN_MAX];
	int norder;
	int own_as_remote;          /* a remote with this store's name */
	char name[16];
	int stopped, resumed, skipped, lines;
	char not_kept[256];         /* the outbox's "not kept" line */
};

static void col_done(void *ctx, const struct store_result *r)
{
	struct col *c = ctx;
	if (r->op == STORE_READ) {
		c->reads++;
		c->n = r->n;
		for (size_t i = 0; i < r->n && i < 600; i++) {
			c->rseqs[i] = r->entries[i]->seq;
			snprintf(c->rtext[i], sizeof c->rtext[i], "%s",
				 r->entries[i]->text);
		}
		return;
	}
	if (r->op == STORE_APPEND) {
		c->appends++;
		c->status = r->status;
		c->seq = r->entry->seq;
		c->fails += r->status != 0;
		if (r->status)
			return;
	} else {
		c->remotes++;
		if (strcmp(r->entry->name, c->name) == 0)
			c->own_as_remote++;
	}
	if (c->norder < SEEN_MAX)
		c->order[c->norder++] = r->entry->seq;
}

static void col_log(void *ctx, int level, const char *line)
{
	struct col *c = ctx;
	(void)level;
	c->lines++;
	c->stopped += strstr(line, "history not written") != NULL;
	c->resumed += strstr(line, "history written again") != NULL;
	c->skipped += strstr(line, "skipped") != NULL;
	if (strstr(line, "stay on this host"))
		snprintf(c->not_kept, sizeof c->not_kept, "%s", line);
	if (getenv("STORE_TEST_VERBOSE"))
		fprintf(stderr, "log %s: %s\n", c->name, line);
}

static struct rserver srv;
static struct redis_addr addr;

static struct store *open_as(struct col *c, const char *name,
			     const char *prefix, size_t keep,
			     const char *password)
{
	char err[256];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	struct store_config cfg = { .prefix = prefix, .keep = keep,
				    .done = col_done, .ctx = c,
				    .log = col_log };
	struct store *st = store_open_redis(&cfg, &addr, password, err,
					    sizeof err);
	if (!st)
		printf("# open: %s\n", err);
	return st;
}

/* Runs the stores' I/O until cond(ctx) or ms pass; 1 when cond. */
static int pump(struct store **sts, int n, int (*cond)(void *), void *ctx,
		int ms)
{
	long long end = io_now_ms() + ms;
	for (;;) {
		int t = 50;
		for (int i = 0; i < n; i++) {
			int w = store_run(sts[i], io_now_ms());
			if (w >= 0 && w < t)
				t = w;
		}
		if (cond && cond(ctx))
			return 1;
		if (io_now_ms() >= end)
			return 0;
		struct pollfd p[16];
		struct store *owner[16];
		int np = 0;
		for (int i = 0; i < n; i++) {
			struct store_fd f[4];
			int k = store_fds(sts[i], f, 4);
			for (int j = 0; j < k && np < 16; j++, np++) {
				p[np].fd = f[j].fd;
				p[np].events = (short)((f[j].events & EV_IN ?
							POLLIN : 0) |
						       (f[j].events & EV_OUT ?
							POLLOUT : 0));
				owner[np] = sts[i];
			}
		}
		if (poll(p, (nfds_t)np, t) <= 0)
			continue;
		for (int i = 0; i < np; i++)
			if (p[i].revents)
				store_ready(owner[i], p[i].fd,
					    (p[i].revents & POLLIN ? EV_IN : 0) |
					    (p[i].revents & POLLOUT ? EV_OUT : 0) |
					    (p[i].revents & (POLLERR | POLLHUP) ?
					     EV_ERR : 0));
	}
}

struct until {
	struct col *c;
	int appends, reads, remotes;
};

static int reached(void *ctx)
{
	struct until *u = ctx;
	return u->c->appends >= u->appends && u->c->reads >= u->reads &&
	       u->c->remotes >= u->remotes;
}

/* Waits for c to count at least these many completions. */
static int wait_for(struct store **sts, int n, struct col *c, int appends,
		    int reads, int remotes)
{
	struct until u = { c, appends, reads, remotes };
	return pump(sts, n, reached, &u, 5000);
}

static int say(struct store *st, const char *room, const char *name,
	       const char *text, const char *origin, uint64_t no,
	       uint64_t token)
{
	struct store_entry e = { .kind = STORE_SAY, .name = name,
				 .name_len = strlen(name), .text = text,
				 .text_len = strlen(text), .origin = origin,
				 .origin_len = origin ? strlen(origin) : 0,
				 .origin_no = no };
	return store_append(st, room, &e, token);
}

static int increasing(const uint64_t *s, int n)
{
	for (int i = 1; i < n; i++)
		if (s[i] <= s[i - 1])
			return 0;
	return 1;
}


static void append_and_read(void)
{
	struct col a;
	char text[32];
	struct store *st = open_as(&a, "ann", "t1:", 0, NULL);
	CHECK(st != NULL);
	if (!st)
		return;
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof text, "line %d", i);
		say(st, "lobby", "ann", text, "s1", (uint64_t)i, (uint64_t)i);
	}
	CHECK(wait_for(&st, 1, &a, 10, 0, 0));
	CHECK(a.fails == 0 && a.norder == 10 && increasing(a.order, 10));
	CHECK(a.order[0] == 1 && a.order[9] == 10);
	CHECK(store_read_last(st, "lobby", 3, 1) == 0 &&
	      wait_for(&st, 1, &a, 10, 1, 0));
	CHECK(a.n == 3 && strcmp(a.rtext[0], "line 8") == 0 &&
	      a.rseqs[2] == 10);
	CHECK(store_read_after(st, "lobby", 5, 100, 2) == 0 &&
	      wait_for(&st, 1, &a, 10, 2, 0));
	CHECK(a.n == 5 && a.rseqs[0] == 6);
	CHECK(store_last_seq(st, "lobby") == 10);
	/* an empty room, read at first sight */
	CHECK(store_read_last(st, "empty", 5, 3) == 0 &&
	      wait_for(&st, 1, &a, 10, 3, 0) && a.n == 0);
	CHECK(a.remotes == 0 && a.lines == 0);
	/* a read asked right after appends (which wait for the reader)
	 * shows them: it is held until they have their outcomes */
	say(st, "lobby", "ann", "line 11", "s1", 11, 4);
	say(st, "lobby", "ann", "line 12", "s1", 12, 5);
	CHECK(store_read_last(st, "lobby", 2, 6) == 0 &&
	      wait_for(&st, 1, &a, 12, 4, 0));
	CHECK(a.n == 2 && strcmp(a.rtext[0], "line 11") == 0 &&
	      strcmp(a.rtext[1], "line 12") == 0);
	CHECK(a.norder == 12 && a.order[11] == 12);
	store_close(st);
}

struct two {
	struct col *a, *b;
	int aa, ar, ba, br;
};

static int both_reached(void *ctx)
{
	struct two *t = ctx;
	return t->a->appends >= t->aa && t->a->remotes >= t->ar &&
	       t->b->appends >= t->ba && t->b->remotes >= t->br;
}

/* B touches a room A does not read yet; once A reads it, B's lines
 * there reach A.  Both fast: the XREAD set grew, and CLIENT UNBLOCK,
 * not the BLOCK timeout, made the reader take the new room. */
static void new_room(struct store **both, struct col *a, struct col *b)
{
	long long t0 = io_now_ms();
	CHECK(say(both[1], "dev", "bob", "first in dev", NULL, 0, 1) == 0);
	CHECK(wait_for(both, 2, b, b->appends + 1, 0, 0) && b->status == 0);
	long long took = io_now_ms() - t0;
	printf("# an own append in a new room completed in %lld ms\n", took);
	CHECK(took < STORE_REDIS_BLOCK_MS / 2);
	CHECK(store_read_last(both[0], "dev", 10, 9) == 0 &&
	      wait_for(both, 2, a, 0, a->reads + 1, 0) && a->n == 1);
	int before = a->remotes;
	t0 = io_now_ms();
	CHECK(say(both[1], "dev", "bob", "second in dev", NULL, 0, 1) == 0);
	CHECK(wait_for(both, 2, a, 0, 0, before + 1));
	took = io_now_ms() - t0;
	printf("# another's line in a room just read came in %lld ms\n", took);
	CHECK(took < STORE_REDIS_BLOCK_MS / 2);
}

static void shared_order(void)
{
	struct col a, b;
	char text[32];
	struct store *both[2] = { open_as(&a, "ann", "t2:", 0, NULL),
				  open_as(&b, "bob", "t2:", 0, NULL) };
	CHECK(both[0] && both[1]);
	if (!both[0] || !both[1])
		return;
	for (int i = 1; i <= 5; i++)
		say(both[0], "lobby", "ann", "before", NULL, 0, 0);
	CHECK(wait_for(both, 2, &a, 5, 0, 0) && a.fails == 0);
	/* B's first read waits for the room to load */
	CHECK(store_read_last(both[1], "lobby", 20, 1) == 0 &&
	      wait_for(both, 2, &b, 0, 1, 0));
	CHECK(b.n == 5 && b.rseqs[0] == 1 && b.rseqs[4] == 5);
	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof text, "a%d", i);
		say(both[0], "lobby", "ann", text, NULL, 0, 0);
		snprintf(text, sizeof text, "b%d", i);
		say(both[1], "lobby", "bob", text, NULL, 0, 0);
		if (i % 7 == 0)
			pump(both, 2, NULL, NULL, 2);
	}
	struct two t = { &a, &b, 55, 50, 50, 50 };
	CHECK(pump(both, 2, both_reached, &t, 5000));
	CHECK(a.fails == 0 && b.fails == 0);
	CHECK(a.remotes == 50 && b.remotes == 50);
	CHECK(a.own_as_remote == 0 && b.own_as_remote == 0);
	/* one order for both, strictly increasing, no number twice */
	CHECK(a.norder == 105 && b.norder == 100);
	CHECK(increasing(a.order, a.norder) && increasing(b.order, b.norder));
	CHECK(memcmp(a.order + 5, b.order, 100 * sizeof *b.order) == 0);
	CHECK(store_last_seq(both[0], "lobby") ==
	      store_last_seq(both[1], "lobby"));
	new_room(both, &a, &b);
	CHECK(a.lines == 0 && b.lines == 0);
	store_close(both[0]);
	store_close(both[1]);
}

static void maxlen_bound(void)
{
	struct col a;
	struct rreply x;
	struct store *st = open_as(&a, "ann", "t3:", 50, NULL);
	CHECK(st != NULL);
	if (!st)
		return;
	for (int i = 0; i < 400; i++)
		say(st, "lobby", "ann", "fill", NULL, 0, 0);
	CHECK(wait_for(&st, 1, &a, 400, 0, 0) && a.fails == 0);
	const char *xlen[] = { "XLEN", "t3:room:lobby" };
	CHECK(rserver_cmd(&srv, &x, 2, xlen, NULL) == 0 &&
	      x.type == RESP_INTEGER);
	printf("# keep 50, 400 appended: XLEN %lld\n", x.integer);
	CHECK(x.integer >= 50 && x.integer <= 150);
	CHECK(store_read_last(st, "lobby", 500, 1) == 0 &&
	      wait_for(&st, 1, &a, 400, 1, 0) && a.n == 50);
	CHECK(a.rseqs[49] == 400);
	store_close(st);
}

static void dedupe_reopen(void)
{
	struct col a;
	struct store *st = open_as(&a, "ann", "t4:", 0, NULL);
	CHECK(st != NULL);
	if (!st)
		return;
	for (int i = 1; i <= 5; i++)
		say(st, "lobby", "ann", "numbered", "s1", (uint64_t)i, 0);
	CHECK(wait_for(&st, 1, &a, 5, 0, 0) && a.fails == 0);
	CHECK(store_seen(st, "lobby", "s1", 2, 5) == 1);
	store_close(st);
	st = open_as(&a, "ann", "t4:", 0, NULL);
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK(store_read_last(st, "lobby", 1, 1) == 0 &&
	      wait_for(&st, 1, &a, 0, 1, 0));
	CHECK(store_seen(st, "lobby", "s1", 2, 5) == 1);
	CHECK(store_seen(st, "lobby", "s1", 2, 6) == 0);
	CHECK(say(st, "lobby", "ann", "next", "s1", 6, 0) == 0 &&
	      wait_for(&st, 1, &a, 1, 1, 0) && a.seq == 6);
	store_close(st);
}

/* Raw XADDs onto t5:room:lobby: fields missing, out of range, a NUL,
 * a leading zero; then a good one by hand. */
static void bad_entries_write(void)
{
	struct rreply x;
	const char *missing[] = { "XADD", "t5:room:lobby", "*", "garbage",
				  "x" };
	const char *kind[] = { "XADD", "t5:room:lobby", "*", "seq", "1",
			       "time_ms", "1", "kind", "999", "name", "x",
			       "origin_no", "0", "text", "t", "host", "h/1" };
	const char *nul[] = { "XADD", "t5:room:lobby", "*", "seq", "2",
			      "time_ms", "1", "kind", "1", "name", "x\0y",
			      "origin_no", "0", "text", "t", "host", "h/1" };
	size_t nul_lens[17];
	for (int i = 0; i < 17; i++)
		nul_lens[i] = strlen(nul[i]);
	nul_lens[10] = 3;
	const char *zero[] = { "XADD", "t5:room:lobby", "*", "seq", "03",
			       "time_ms", "1", "kind", "1", "name", "x",
			       "origin_no", "0", "text", "t", "host", "h/1" };
	CHECK(rserver_cmd(&srv, &x, 5, missing, NULL) == 0);
	CHECK(rserver_cmd(&srv, &x, 17, kind, NULL) == 0);
	CHECK(rserver_cmd(&srv, &x, 17, nul, nul_lens) == 0);
	CHECK(rserver_cmd(&srv, &x, 17, zero, NULL) == 0 &&
	      x.type == RESP_BULK);
}

static void bad_entries(void)
{
	struct col a, b, c;
	struct rreply x;
	struct store *sts[2] = { open_as(&a, "ann", "t5:", 0, NULL),
				 open_as(&b, "bob", "t5:", 0, NULL) };
	CHECK(sts[0] && sts[1]);
	if (!sts[0] || !sts[1])
		return;
	CHECK(store_read_last(sts[0], "lobby", 5, 1) == 0 &&
	      wait_for(sts, 2, &a, 0, 1, 0) && a.n == 0);
	bad_entries_write();
	CHECK(say(sts[1], "lobby", "bob", "good", NULL, 0, 0) == 0);
	CHECK(wait_for(sts, 2, &a, 0, 0, 1) && a.remotes == 1);
	CHECK(wait_for(sts, 2, &b, 1, 0, 0) && b.status == 0 && b.seq >= 1);
	CHECK(a.skipped == 1 && a.lines == 1); /* one line, rate-bound */
	/* by hand, well formed: it counts; a number gone back: skipped */
	const char *good[] = { "XADD", "t5:room:lobby", "*", "seq", "1000",
			       "time_ms", "1", "kind", "2", "name", "eve",
			       "origin_no", "0", "text", "waves", "host",
			       "h/9" };
	const char *back[] = { "XADD", "t5:room:lobby", "*", "seq", "999",
			       "time_ms", "1", "kind", "2", "name", "eve",
			       "origin_no", "0", "text", "again", "host",
			       "h/9" };
	CHECK(rserver_cmd(&srv, &x, 17, good, NULL) == 0);
	CHECK(rserver_cmd(&srv, &x, 17, back, NULL) == 0);
	/* B's next number goes past what B has read */
	CHECK(wait_for(sts, 2, &b, 0, 0, 1) && b.order[1] == 1000);
	CHECK(say(sts[1], "lobby", "bob", "after", NULL, 0, 0) == 0);
	CHECK(wait_for(sts, 2, &a, 0, 0, 3) && a.remotes == 3);
	CHECK(wait_for(sts, 2, &b, 2, 0, 0));
	CHECK(a.order[1] == 1000 && a.order[2] == 1001);
	CHECK(b.seq == 1001);
	/* a new store loads past the bad ones */
	struct store *sc = open_as(&c, "cat", "t5:", 0, NULL);
	CHECK(sc && store_read_last(sc, "lobby", 10, 1) == 0 &&
	      wait_for(&sc, 1, &c, 0, 1, 0));
	CHECK(c.n == 3 && c.rseqs[2] == 1001 && c.skipped == 1);
	CHECK(strcmp(c.rtext[1], "waves") == 0);
	store_close(sc);
	store_close(sts[0]);
	store_close(sts[1]);
}

/* 10,000 appends to one room, at most 1,000 in flight. */
static void throughput(void)
{
	struct col a;
	struct store *st = open_as(&a, "ann", "t7:", 0, NULL);
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK(store_read_last(st, "lobby", 1, 1) == 0 &&
	      wait_for(&st, 1, &a, 0, 1, 0));
	long long t0 = io_now_ms();
	int ok = 1;
	for (int k = 1; k <= 10; k++) {
		for (int i = 0; i < 1000; i++)
			ok &= say(st, "lobby", "ann", "a line of about forty "
				  "bytes, like chat", "s1",
				  (uint64_t)((k - 1) * 1000 + i + 1), 0) == 0;
		ok &= wait_for(&st, 1, &a, k * 1000, 1, 0);
	}
	long long took = io_now_ms() - t0;
	CHECK(ok && a.fails == 0 && a.appends == 10000);
	CHECK(increasing(a.order, a.norder > SEEN_MAX ? SEEN_MAX : a.norder));
	printf("# 10000 appends to local redis-server: %lld ms (%.0f/s)\n",
	       took, took > 0 ? 10000.0 * 1000 / (double)took : 0.0);
	store_close(st);
}

static int stopped(void *ctx)
{
	return ((struct col *)ctx)->stopped >= 1;
}

/* Appends until one is logged again (Redis back), 10 s at most. */
static int until_logged(struct store **sts, struct col *a)
{
	for (int i = 0; i < 200; i++) {
		if (say(sts[0], "lobby", "ann", "back?", NULL, 0, 0) != 0 ||
		    !wait_for(sts, 2, a, a->appends + 1, 0, 0))
			return 0;
		if (a->status == 0)
			return 1;
		pump(sts, 2, NULL, NULL, 50);
	}
	return 0;
}

static void killed_and_back(void)
{
	struct col a, b;
	struct store *sts[2] = { open_as(&a, "ann", "t6:", 0, NULL),
				 open_as(&b, "bob", "t6:", 0, NULL) };
	CHECK(sts[0] && sts[1]);
	if (!sts[0] || !sts[1])
		return;
	for (int i = 0; i < 3; i++)
		say(sts[0], "lobby", "ann", "before", NULL, 0, 0);
	CHECK(store_read_last(sts[1], "lobby", 5, 1) == 0);
	CHECK(wait_for(sts, 2, &a, 3, 0, 0) && wait_for(sts, 2, &b, 0, 1, 0));
	uint64_t before = a.seq;
	CHECK(before == 3 && a.fails == 0);
	rserver_signal(&srv, SIGKILL);
	CHECK(pump(sts, 2, stopped, &a, 5000));
	for (int i = 0; i < 3; i++)
		say(sts[0], "lobby", "ann", "while down", NULL, 0, 0);
	CHECK(wait_for(sts, 2, &a, 4 + 3 - 1, 0, 0));
	CHECK(a.fails == 3 && a.seq == 0 && a.status != 0);
	printf("# while down: %s\n", strerror(a.status));
	CHECK(a.stopped == 1 && a.resumed == 0);
	CHECK(rserver_start(&srv, NULL) == 0);
	CHECK(until_logged(sts, &a));
	/* Redis came back empty: the number goes on from what A knew */
	CHECK(a.seq > before);
	/* every line said since the kill reached B, once (the outbox):
	 * the three while down and each "back?" */
	int since = a.appends - 3;
	CHECK(wait_for(sts, 2, &b, 0, 0, since) && b.remotes == since);
	pump(sts, 2, NULL, NULL, 300);
	CHECK(b.remotes == since);
	CHECK(b.order[b.norder - 1] == a.seq);
	CHECK(a.stopped == 1 && a.resumed == 1);
	CHECK(b.stopped == 1 && b.resumed == 1);
	store_close(sts[0]);
	store_close(sts[1]);
}

static int all_done(void *ctx)
{
	return ((struct col *)ctx)->appends >= 301;
}

/* Lines of 4,000 bytes said while Redis is away fill the outbox's
 * bytes (STORE_REDIS_OUTBOX_BYTES) long before its count of lines:
 * the log line says so, not "more than 1000 lines". */
static void outbox_bytes(void)
{
	struct rserver p = { .pid = -1 };
	struct col a;
	char why[200], text[4001];
	CHECK(rserver_start(&p, NULL) == 0);
	CHECK(redis_addr_parse(&addr, p.spec, why, sizeof why) == 0);
	struct store *st = open_as(&a, "ann", "t9:", 0, NULL);
	CHECK(st != NULL);
	if (st) {
		say(st, "lobby", "ann", "hi", NULL, 0, 0);
		CHECK(wait_for(&st, 1, &a, 1, 0, 0) && a.status == 0);
		rserver_signal(&p, SIGKILL);
		CHECK(pump(&st, 1, stopped, &a, 5000));
		memset(text, 'x', sizeof text - 1);
		text[sizeof text - 1] = '\0';
		for (int i = 0; i < 300; i++)
			say(st, "lobby", "ann", text, NULL, 0, 0);
		CHECK(pump(&st, 1, all_done, &a, 5000));
		printf("# %s\n", a.not_kept);
		CHECK(strstr(a.not_kept, "bytes") != NULL &&
		      strstr(a.not_kept, "more than 1000 lines") == NULL);
	}
	store_close(st);
	rserver_cleanup(&p);
}

static void auth_password(void)
{
	struct rserver p = { .pid = -1 };
	struct col a, b;
	char why[200];
	CHECK(rserver_start(&p, "s3cret") == 0);
	CHECK(redis_addr_parse(&addr, p.spec, why, sizeof why) == 0);
	struct store *good = open_as(&a, "ann", "t8:", 0, "s3cret");
	struct store *bad = open_as(&b, "bob", "t8:", 0, "wrong");
	struct store *sts[2] = { good, bad };
	CHECK(good && bad);
	if (good && bad) {
		say(good, "lobby", "ann", "hi", NULL, 0, 0);
		say(bad, "lobby", "bob", "hi", NULL, 0, 0);
		CHECK(wait_for(sts, 2, &a, 1, 0, 0) && a.status == 0 &&
		      a.seq == 1);
		CHECK(wait_for(sts, 2, &b, 1, 0, 0) && b.status == EACCES);
		CHECK(b.stopped == 1 && a.lines == 0);
	}
	store_close(good);
	store_close(bad);
	rserver_cleanup(&p);
}

int main(void)
{
	char why[200];
	signal(SIGPIPE, SIG_IGN);
	CHECK(rserver_start(&srv, NULL) == 0); /* tests/deps.sh has it */
	CHECK(redis_addr_parse(&addr, srv.spec, why, sizeof why) == 0);
	if (srv.pid > 0) {
		append_and_read();
		shared_order();
		maxlen_bound();
		dedupe_reopen();
		bad_entries();
		throughput();
		killed_and_back();
	}
	rserver_cleanup(&srv);
	auth_password();
	outbox_bytes();
	return UNIT_DONE();
}
