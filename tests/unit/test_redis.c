/* test_redis.c — the Redis link against a real redis-server, started
 * here on a free loopback port (and a UNIX socket) in a temporary
 * directory: replies in order, pipelining, a reply bigger than a read,
 * AUTH right and wrong, a connection killed by the server, a refused
 * connect, and the bound on commands in flight. */
#include "test_redis_server.h"
#include "unit.h"

static struct rserver srv;

/* Runs the link's I/O until cond(ctx) or timeout_ms; 1 when cond. */
static int pump(struct redis *r, int (*cond)(void *), void *ctx,
		int timeout_ms)
{
	long long end = io_now_ms() + timeout_ms;
	while (!cond(ctx) && io_now_ms() < end) {
		if (redis_state(r) == REDIS_CLOSED)
			return cond(ctx);
		struct pollfd p = { .fd = redis_fd(r) };
		unsigned want = redis_events(r);
		p.events = (short)((want & EV_IN ? POLLIN : 0) |
				   (want & EV_OUT ? POLLOUT : 0));
		if (poll(&p, 1, 50) <= 0)
			continue;
		unsigned ev = (p.revents & POLLIN ? EV_IN : 0) |
			      (p.revents & POLLOUT ? EV_OUT : 0) |
			      (p.revents & (POLLERR | POLLHUP) ? EV_ERR : 0);
		redis_ready(r, ev);
	}
	return cond(ctx);
}

#define answer rreply
#define keep rserver_keep

static int answered(void *ctx)
{
	return ((struct answer *)ctx)->done;
}

static int ask(struct redis *r, struct answer *a, int argc,
	       const char *const *argv)
{
	size_t lens[RESP_ARGS_MAX];
	memset(a, 0, sizeof *a);
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (redis_command(r, argc, argv, lens, keep, a) < 0)
		return -1;
	return pump(r, answered, a, 5000) ? 0 : -1;
}

/* Connects a new link, retrying while the server starts (bounded). */
static struct redis *link_up(const char *spec, const char *password)
{
	struct redis_addr a;
	char why[200];
	struct answer pong;
	if (redis_addr_parse(&a, spec, why, sizeof why) < 0)
		return NULL;
	struct redis *r = redis_new();
	for (int tries = 0; r && tries < 100; tries++) {
		const char *ping[] = { "PING" };
		if (redis_open(r, &a, password) == 0 &&
		    ask(r, &pong, 1, ping) == 0 && !pong.lost)
			return r;
		redis_close(r, "retry");
		usleep(50 * 1000); /* the server is starting: nothing to wait on */
	}
	redis_free(r);
	return NULL;
}

static int counted;
static void count_in_order(void *ctx, const struct resp_value *v)
{
	(void)ctx;
	if (v && v->type == RESP_INTEGER && v->integer == counted + 1)
		counted++;
}

static int all_counted(void *ctx)
{
	return counted == *(int *)ctx;
}

static void basics(struct redis *r)
{
	struct answer a;
	const char *set[] = { "SET", "k", "v\r\n\x01" };
	const char *get[] = { "GET", "k" };
	const char *none[] = { "GET", "nothing-here" };
	const char *bad[] = { "NOSUCHCOMMAND" };
	CHECK(ask(r, &a, 3, set) == 0 && a.type == RESP_STRING &&
	      !strcmp(a.text, "OK"));
	CHECK(ask(r, &a, 2, get) == 0 && a.type == RESP_BULK &&
	      a.n == 4 && !memcmp(a.text, "v\r\n\x01", 4));
	CHECK(ask(r, &a, 2, none) == 0 && a.type == RESP_NIL);
	CHECK(ask(r, &a, 1, bad) == 0 && a.type == RESP_ERROR);
	const char *del[] = { "DEL", "room:t" };
	CHECK(ask(r, &a, 2, del) == 0 && a.type == RESP_INTEGER);
	const char *xadd[] = { "XADD", "room:t", "*", "n", "ann", "t", "hi" };
	const char *xlen[] = { "XLEN", "room:t" };
	CHECK(ask(r, &a, 7, xadd) == 0 && a.type == RESP_BULK &&
	      strchr(a.text, '-') != NULL);
	CHECK(ask(r, &a, 2, xlen) == 0 && a.integer == 1);
}

static void pipelined(struct redis *r)
{
	int want = 2000;
	const char *incr[] = { "INCR", "counter" };
	size_t lens[] = { 4, 7 };
	counted = 0;
	int queued = 0;
	for (int i = 0; i < want; i++)
		queued += redis_command(r, 2, incr, lens, count_in_order,
					NULL) == 0;
	CHECK(queued == want);
	CHECK(pump(r, all_counted, &want, 10000));
	CHECK(redis_pending(r) == 0);
}

/* A value of 300 KB comes back in many reads. */
static void big_reply(struct redis *r)
{
	size_t n = 300 * 1024;
	char *big = malloc(n);
	struct answer a;
	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'z', n);
	const char *set[] = { "SET", "big", big };
	size_t lens[] = { 3, 3, n };
	memset(&a, 0, sizeof a);
	CHECK(redis_command(r, 3, set, lens, keep, &a) == 0 &&
	      pump(r, answered, &a, 5000));
	const char *get[] = { "GET", "big" };
	CHECK(ask(r, &a, 2, get) == 0 && a.type == RESP_BULK && a.n == n);
	free(big);
}

static void auth(struct redis *r)
{
	struct answer a;
	const char *on[] = { "CONFIG", "SET", "requirepass", "s3cret" };
	CHECK(ask(r, &a, 4, on) == 0 && a.type == RESP_STRING);
	char spec[64];
	snprintf(spec, sizeof spec, "%s", srv.spec);
	struct redis_addr addr;
	char why[200];
	CHECK(redis_addr_parse(&addr, spec, why, sizeof why) == 0);
	struct redis *wrong = redis_new();
	const char *ping[] = { "PING" };
	CHECK(wrong && redis_open(wrong, &addr, "nope") == 0);
	if (wrong) {
		ask(wrong, &a, 1, ping);
		CHECK(a.lost == 1 && redis_state(wrong) == REDIS_CLOSED);
		CHECK(strstr(redis_error(wrong), "AUTH refused") != NULL);
		redis_free(wrong);
	}
	struct redis *right = link_up(spec, "s3cret");
	CHECK(right != NULL);
	const char *off[] = { "CONFIG", "SET", "requirepass", "" };
	if (right) {
		CHECK(ask(right, &a, 4, off) == 0 && a.type == RESP_STRING);
		redis_free(right);
	}
}

/* The server kills a link blocked in BLPOP: its callback gets NULL. */
static void killed(struct redis *r, const char *spec)
{
	struct answer id, blocked, kill_reply;
	struct redis *victim = link_up(spec, NULL);
	CHECK(victim != NULL);
	if (!victim)
		return;
	const char *cid[] = { "CLIENT", "ID" };
	CHECK(ask(victim, &id, 2, cid) == 0 && id.type == RESP_INTEGER);
	const char *blpop[] = { "BLPOP", "never", "0" };
	memset(&blocked, 0, sizeof blocked);
	CHECK(redis_command(victim, 3, blpop, (size_t[]){ 5, 5, 1 }, keep,
			    &blocked) == 0);
	pump(victim, answered, &blocked, 200); /* sends it; no answer */
	char num[32];
	snprintf(num, sizeof num, "%lld", id.integer);
	const char *kill_argv[] = { "CLIENT", "KILL", "ID", num };
	CHECK(ask(r, &kill_reply, 4, kill_argv) == 0 &&
	      kill_reply.integer == 1);
	CHECK(pump(victim, answered, &blocked, 5000) && blocked.lost);
	CHECK(redis_state(victim) == REDIS_CLOSED);
	CHECK(strstr(redis_error(victim), "closed") != NULL);
	redis_free(victim);
}

static void refused_and_bounds(void)
{
	char spec[64], why[200];
	struct redis_addr a;
	struct answer ans;
	snprintf(spec, sizeof spec, "127.0.0.1:%d", rserver_free_port());
	CHECK(redis_addr_parse(&a, spec, why, sizeof why) == 0);
	struct redis *r = redis_new();
	CHECK(r && redis_open(r, &a, NULL) == 0);
	if (!r)
		return;
	const char *ping[] = { "PING" };
	ask(r, &ans, 1, ping);
	CHECK(ans.lost && strstr(redis_error(r), "refused") != NULL);
	CHECK(redis_command(r, 1, ping, (size_t[]){ 4 }, NULL, NULL) < 0);
	/* the bound on commands in flight, while a connect is pending */
	CHECK(redis_open(r, &a, NULL) == 0);
	int queued = 0;
	for (int i = 0; i < REDIS_PENDING_MAX + 10; i++)
		queued += redis_command(r, 1, ping, (size_t[]){ 4 }, NULL,
					NULL) == 0;
	CHECK(queued == REDIS_PENDING_MAX);
	redis_free(r);
	CHECK(redis_addr_parse(&a, "::1:6379", why, sizeof why) < 0);
	CHECK(redis_addr_parse(&a, "[::1]:6379", why, sizeof why) == 0);
	CHECK(redis_addr_parse(&a, "host:", why, sizeof why) < 0);
	char longpath[200];
	memset(longpath, 'p', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	CHECK(redis_addr_parse(&a, longpath, why, sizeof why) < 0);
	CHECK(strstr(why, "long") != NULL);
}

int main(void)
{
	char spec[64];
	signal(SIGPIPE, SIG_IGN);
	CHECK(rserver_start(&srv, NULL) == 0);
	snprintf(spec, sizeof spec, "%s", srv.spec);
	struct redis *r = link_up(spec, NULL);
	CHECK(r != NULL); /* redis-server missing? tests/deps.sh has it */
	if (r) {
		basics(r);
		pipelined(r);
		big_reply(r);
		auth(r);
		killed(r, spec);
		redis_free(r);
		struct redis *u = link_up(srv.sock, NULL);
		CHECK(u != NULL);
		if (u)
			basics(u);
		redis_free(u);
	}
	refused_and_bounds();
	rserver_cleanup(&srv);
	return UNIT_DONE();
}
