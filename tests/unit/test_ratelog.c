/* test_ratelog.c — the per-second bound on a kind of log line, and the
 * io_read_some convention (EAGAIN -> 0, EOF -> -1 EPIPE). */
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../../lib/ratelog.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void bound_per_second(void)
{
	struct ratelog r = { .what = "things refused", .per_second = 3 };
	long long t = 5000;
	CHECK(ratelog_due(&r) == -1);
	CHECK(ratelog_take(&r, t) == 1);
	CHECK(ratelog_take(&r, t + 1) == 1);
	CHECK(ratelog_take(&r, t + 2) == 1);
	CHECK(ratelog_take(&r, t + 3) == 0);
	CHECK(ratelog_take(&r, t + 999) == 0);
	CHECK(r.hidden == 2);
	CHECK(ratelog_due(&r) == t + 1000);
	/* the next second: the count is logged and the bound starts again */
	CHECK(ratelog_take(&r, t + 1000) == 1);
	CHECK(r.hidden == 0 && r.logged == 1);
	CHECK(ratelog_due(&r) == -1);
	/* a flush before the second is over changes nothing */
	ratelog_flush(&r, t + 1500);
	CHECK(r.logged == 1 && r.window == t + 1000);
}

static void read_some(void)
{
	int p[2];
	char buf[8];
	CHECK(pipe(p) == 0);
	CHECK(io_set_nonblock(p[0], 1) == 0);
	CHECK(io_read_some(p[0], buf, sizeof buf) == 0);
	CHECK(write(p[1], "ab", 2) == 2);
	CHECK(io_read_some(p[0], buf, sizeof buf) == 2);
	close(p[1]);
	errno = 0;
	CHECK(io_read_some(p[0], buf, sizeof buf) == -1 && errno == EPIPE);
	close(p[0]);
	errno = 0;
	CHECK(io_read_some(p[0], buf, sizeof buf) == -1 && errno == EBADF);
}

int main(void)
{
	log_init("test_ratelog", LOG_TO_STDERR);
	bound_per_second();
	read_some();
	return UNIT_DONE();
}
