/* test_resolve — natterd -N's look-ups in a launcher (resolve.h): the
 * loopback's confirmed name; answers handed on in arrival order; a
 * resolver slower than RESOLVE_TIMEOUT_MS cut off at the bound, the
 * connections behind it not delayed past their own. */
#include "unit.h"
#include "../../supervisor/resolve.h"
#include "io.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SLOW_IP "192.0.2.1"  /* TEST-NET-1: the slow resolver's */

static int slow_lookup(const char *ip, char *name, size_t size)
{
	if (strcmp(ip, SLOW_IP) == 0)
		sleep(30); /* killed long before */
	snprintf(name, size, "host-%s", ip);
	return 0;
}

struct done_log {
	int n;
	uint32_t id[8];
	char name[8][64];
	long long at[8];
};

static void on_done(const struct launch_req *req, int fd, const char *host,
		    void *ctx)
{
	struct done_log *d = ctx;
	close(fd);
	d->id[d->n] = req->id;
	snprintf(d->name[d->n], sizeof d->name[0], "%s", host ? host : "-");
	d->at[d->n++] = io_now_ms();
}

static void queue(uint32_t id, const char *ip, long long now)
{
	struct launch_req req = { .type = LAUNCH_START, .len = sizeof req,
				  .id = id };
	snprintf(req.remote_ip, sizeof req.remote_ip, "%s", ip);
	int fd = open("/dev/null", O_RDONLY);
	CHECK(resolve_begin(&req, fd, -1, now) == 0);
}

int main(void)
{
	char name[RESOLVE_NAME_MAX];
	CHECK(resolve_lookup("127.0.0.1", name, sizeof name) == 0);
	CHECK(strcmp(name, "localhost") == 0);
	CHECK(resolve_lookup("not an address", name, sizeof name) == -1);
	CHECK(resolve_lookup("127.0.0.1", name, 4) == -1); /* no room */

	resolve_use_lookup(slow_lookup);
	struct done_log d = { 0 };
	long long t0 = io_now_ms();
	queue(1, "127.0.0.1", t0);
	queue(2, SLOW_IP, t0);
	queue(3, "127.0.0.2", t0);
	while (d.n < 3 && io_now_ms() - t0 < 3 * RESOLVE_TIMEOUT_MS) {
		struct pollfd p[RESOLVE_PENDING_MAX];
		int n = resolve_pollfds(p);
		if (poll(p, (nfds_t)n, resolve_timeout(io_now_ms())) < 0)
			break;
		resolve_ready(p, n, io_now_ms(), on_done, &d);
	}
	CHECK(d.n == 3);
	CHECK(d.id[0] == 1 && d.id[1] == 2 && d.id[2] == 3);
	CHECK(strcmp(d.name[0], "host-127.0.0.1") == 0);
	CHECK(d.at[0] - t0 < RESOLVE_TIMEOUT_MS / 2);   /* not held up */
	CHECK(strcmp(d.name[1], "-") == 0);             /* cut off */
	CHECK(d.at[1] - t0 >= RESOLVE_TIMEOUT_MS - 5);
	CHECK(d.at[1] - t0 < RESOLVE_TIMEOUT_MS + 300); /* the bound */
	CHECK(strcmp(d.name[2], "host-127.0.0.2") == 0);
	CHECK(d.at[2] - t0 < RESOLVE_TIMEOUT_MS + 300);
	printf("# slow resolver cut off after %lld ms\n", d.at[1] - t0);
	CHECK(resolve_timeout(io_now_ms()) == -1); /* nothing left */
	return UNIT_DONE();
}
