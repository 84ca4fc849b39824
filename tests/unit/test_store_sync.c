/* test_store_sync.c — syncs off the loop (broker/store/syncer.h): the
 * child answers each request, passes a failure on, and its death turns
 * every unanswered request into EIO and later ones into inline syncs;
 * its queue is bounded; and a store whose disk takes 150 ms per sync
 * never waits for one in a pass, with numbers that still only grow
 * and survive a reopen. */
#include "../../broker/evloop.h"
#include "../../broker/store/syncer.h"
#include "test_store.h"
#include "unit.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static int slow_ms;          /* the child's syncs take this long */
static int fail_with;        /* the child's syncs fail with this */
static int die_in_sync;      /* the child exits in its next sync */
static int dir_syncs;        /* full syncs of a directory seen */
static int dir_fail;         /* a directory's sync fails with this */

static int hook(int fd, int full)
{
	struct stat st;
	if (full && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir_syncs++;
		if (dir_fail) {
			errno = dir_fail;
			return -1;
		}
	}
	if (die_in_sync)
		_exit(3);
	if (slow_ms) {
		struct timespec ts = { slow_ms / 1000,
				       (long)(slow_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (fail_with) {
		errno = fail_with;
		return -1;
	}
	return fdatasync(fd);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Waits (at most ms) for answers; returns how many came. */
static size_t wait_answers(struct syncer *sy, struct syncer_answer *a,
			   size_t max, int ms)
{
	size_t got = 0;
	double end = now_ms() + ms;
	while (got < max && now_ms() < end) {
		struct pollfd p = { syncer_fd(sy), POLLIN, 0 };
		if (p.fd >= 0)
			(void)poll(&p, 1, 50);
		got += syncer_answers(sy, a + got, max - got);
		if (p.fd < 0 && syncer_inflight(sy) == 0)
			break;
	}
	return got;
}

static int temp_file(char *path, size_t size)
{
	snprintf(path, size, "/tmp/natter-sync-XXXXXX");
	int fd = mkstemp(path);
	if (fd >= 0 && write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void answers(void)
{
	char path[64];
	struct syncer_answer a[4];
	int fd = temp_file(path, sizeof path);
	struct syncer *sy = syncer_start(hook);
	CHECK(sy && fd >= 0 && syncer_fd(sy) >= 0);
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 7) == 0);
	CHECK(syncer_request(sy, fd, SYNCER_FULL, 8) == 0);
	CHECK(syncer_inflight(sy) == 2);
	CHECK(wait_answers(sy, a, 2, 5000) == 2);
	CHECK(a[0].id == 7 && a[0].status == 0 && a[1].id == 8 &&
	      a[1].status == 0 && syncer_inflight(sy) == 0);
	/* the descriptor stays the caller's */
	CHECK(fcntl(fd, F_GETFD) >= 0);
	fail_with = ENOSPC; /* the child has its own copy of the hook's */
	syncer_stop(sy);    /* state: start another */
	sy = syncer_start(hook);
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 9) == 0);
	CHECK(wait_answers(sy, a, 1, 5000) == 1);
	CHECK(a[0].id == 9 && a[0].status == ENOSPC);
	fail_with = 0;
	syncer_stop(sy);
	close(fd);
	unlink(path);
}

static void child_dies(void)
{
	char path[64];
	struct syncer_answer a[4];
	int fd = temp_file(path, sizeof path);
	die_in_sync = 1;
	struct syncer *sy = syncer_start(hook);
	die_in_sync = 0;
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 1) == 0);
	(void)syncer_request(sy, fd, SYNCER_DATA, 2); /* may see it gone */
	size_t n = wait_answers(sy, a, 2, 5000);
	CHECK(n >= 1 && a[0].id == 1 && a[0].status == EIO);
	CHECK(syncer_inflight(sy) == 0 && syncer_fd(sy) < 0);
	/* from now on the caller syncs inline */
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 3) == -1);
	/* and the dead child is reaped by the syncs asked for after, not
	 * left a zombie until syncer_stop (peeked at, not reaped here) */
	int zombie = 1;
	for (int i = 0; i < 200 && zombie; i++) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		(void)syncer_request(sy, fd, SYNCER_DATA, 4);
		zombie = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT)
			 == 0 && si.si_pid != 0;
		if (zombie)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	CHECK(!zombie);
	syncer_stop(sy);
	close(fd);
	unlink(path);
}

static void bounded(void)
{
	char path[64];
	struct syncer_answer a[SYNCER_INFLIGHT_MAX];
	int fd = temp_file(path, sizeof path);
	slow_ms = 20;
	struct syncer *sy = syncer_start(hook);
	slow_ms = 0;
	int ok = 1;
	for (uint64_t i = 1; i <= SYNCER_INFLIGHT_MAX; i++)
		ok &= syncer_request(sy, fd, SYNCER_DATA, i) == 0;
	CHECK(ok && syncer_inflight(sy) == SYNCER_INFLIGHT_MAX);
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 99) == -1);
	size_t n = wait_answers(sy, a, SYNCER_INFLIGHT_MAX, 10000);
	CHECK(n == SYNCER_INFLIGHT_MAX && a[n - 1].id == n);
	CHECK(syncer_request(sy, fd, SYNCER_DATA, 100) == 0);
	syncer_stop(sy);
	close(fd);
	unlink(path);
}

/* Runs the store, waiting for its descriptors at most ms. */
static double run_pass(struct store *st, int ms)
{
	struct store_fd fds[4];
	int n = store_fds(st, fds, 4);
	struct pollfd p[4];
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ fds[i].fd, POLLIN, 0 };
	if (n > 0 && poll(p, (nfds_t)n, ms) > 0)
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				store_ready(st, p[i].fd, EV_IN);
	double t0 = now_ms();
	store_run(st, (long long)t0);
	return now_ms() - t0;
}

/* Runs the store until its child has been quiet for quiet_ms (every
 * sync asked for is answered), at most max_ms. */
static void settle(struct store *st, int quiet_ms, int max_ms)
{
	double end = now_ms() + max_ms;
	while (now_ms() < end) {
		struct store_fd fds[4];
		int n = store_fds(st, fds, 4);
		struct pollfd p[4];
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ fds[i].fd, POLLIN, 0 };
		if (n <= 0 || n > 4 || poll(p, (nfds_t)n, quiet_ms) == 0)
			return;
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				store_ready(st, p[i].fd, EV_IN);
		store_run(st, (long long)now_ms());
	}
}

static struct store *open_child(const char *dir, struct got *g)
{
	char err[256];
	struct store_config c = test_config(dir, g);
	c.sync_child = 1;
	c.sync_hook = hook;
	struct store *st = store_open_files(&c, err, sizeof err);
	if (!st)
		printf("# %s\n", err);
	return st;
}

/* 1,500 lines, one a millisecond, in a room already in the directory
 * (its next numbers reserved at open), on a disk taking 150 ms a sync: the passes stay short (an inline
 * sync would take 150 ms in one), numbers only grow, all is read back
 * after a reopen and numbers go on from there. */
static void slow_disk(void)
{
	char dir[64], text[32];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g); /* the room exists */
	CHECK(test_say(st, &g, "lobby", "first", "o", 1) == 0);
	store_close(st);
	slow_ms = 150; /* here too: a sync in a pass would show */
	st = open_child(dir, &g);
	CHECK(st != NULL);
	/* the block reserved at open: its answer first (a line before it
	 * would sync in the call, as a store without the child does) */
	settle(st, 200, 5000);
	double worst = 0;
	uint64_t last = 1;
	int ok = 1;
	for (int i = 2; i <= 1500; i++) {
		snprintf(text, sizeof text, "line %d", i);
		struct store_entry e = { .kind = STORE_SAY, .name = "bob",
					 .name_len = 3, .text = text,
					 .text_len = strlen(text) };
		int before = g.appends;
		double t0 = now_ms();
		ok &= store_append(st, "lobby", &e, 0) == 0;
		store_run(st, (long long)t0);
		double took = now_ms() - t0;
		worst = took > worst ? took : worst;
		ok &= g.appends == before + 1 && g.status == 0 &&
		      g.seq > last;
		last = g.seq;
		took = run_pass(st, 1);
		worst = took > worst ? took : worst;
	}
	slow_ms = 0;
	printf("# 1500 lines, 150 ms a sync: longest pass %.2f ms\n", worst);
	CHECK(ok);
	CHECK(worst < 75);
	store_close(st);
	st = test_open(dir, &g);
	CHECK(test_read_last(st, &g, "lobby", 3) == 3);
	CHECK(g.seqs[2] == last && strcmp(g.texts[2], "line 1500") == 0);
	CHECK(test_say(st, &g, "lobby", "after", NULL, 0) == 0 &&
	      g.seq > last);
	store_close(st);
	test_rmdir(dir);
}

/* A room's new file is made to last a power cut with its name: the
 * directory is synced once as the file is made (before its first
 * numbers are handed out), not again for its later lines, nor for a
 * room already there at the next open. */
static void new_room_syncs_its_directory(void)
{
	char dir[64], err[256];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store_config c = test_config(dir, &g);
	c.sync_hook = hook;
	struct store *st = store_open_files(&c, err, sizeof err);
	CHECK(st != NULL);
	dir_syncs = 0;
	CHECK(test_say(st, &g, "lobby", "first", "o", 1) == 0);
	CHECK(dir_syncs == 1);
	CHECK(test_say(st, &g, "lobby", "second", "o", 1) == 0);
	CHECK(dir_syncs == 1);
	CHECK(test_say(st, &g, "kitchen", "hi", "o", 1) == 0);
	CHECK(dir_syncs == 2);
	store_close(st);
	st = store_open_files(&c, err, sizeof err);
	CHECK(st != NULL);
	dir_syncs = 0;
	CHECK(test_say(st, &g, "lobby", "third", "o", 1) == 0);
	CHECK(dir_syncs == 0);
	/* a file system that cannot sync a directory (EINVAL): the new
	 * room is written all the same; a failing disk (EIO) fails it */
	dir_fail = EINVAL;
	CHECK(test_say(st, &g, "hall", "one", "o", 1) == 0);
	CHECK(dir_syncs == 1);
	dir_fail = EIO;
	CHECK(test_say(st, &g, "attic", "two", "o", 1) != 0);
	dir_fail = 0;
	store_close(st);
	test_rmdir(dir);
}

/* 70 rooms, more than the child takes at once (SYNCER_INFLIGHT_MAX):
 * their reservations at open and their once-a-second syncs wait for
 * the child's answers instead of being done in a pass. */
static void many_rooms(void)
{
	char dir[64], room[16];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g);
	int ok = 1;
	for (int i = 0; i < 70; i++) {
		snprintf(room, sizeof room, "r%d", i);
		ok &= test_say(st, &g, room, "first", NULL, 0) == 0;
	}
	store_close(st);
	CHECK(ok);
	slow_ms = 25; /* in the parent too: a sync in a pass would show */
	st = open_child(dir, &g);
	settle(st, 200, 15000); /* the reservations: 70 x 25 ms */
	double worst = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 70; i++) {
			snprintf(room, sizeof room, "r%d", i);
			struct store_entry e = { .kind = STORE_SAY,
						 .name = "bob", .name_len = 3,
						 .text = "x", .text_len = 1 };
			double t0 = now_ms();
			ok &= store_append(st, room, &e, 0) == 0;
			store_run(st, (long long)t0 + round * 1100);
			double took = now_ms() - t0;
			worst = took > worst ? took : worst;
			ok &= g.status == 0;
		}
		for (int i = 0; i < 5; i++) {
			double took = run_pass(st, 20);
			worst = took > worst ? took : worst;
		}
	}
	slow_ms = 0;
	printf("# 70 rooms, 25 ms a sync: longest pass %.2f ms\n", worst);
	CHECK(ok);
	CHECK(worst < 20);
	store_close(st);
	test_rmdir(dir);
}

/* The child keeps no descriptor of the broker's, however high: a
 * pipe's write end moved past SYNCER_CLOSE_MAX reads as closed once
 * only the child could hold it.  Past the hard limit only a privileged
 * process may go (not in every container): else at descriptor 100. */
static void closes_high_descriptors(void)
{
	struct rlimit rl;
	int p[2];
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rlim_t want = SYNCER_CLOSE_MAX + 16;
	if (rl.rlim_cur < want) { /* past the hard limit: root only */
		struct rlimit more = { want, rl.rlim_max == RLIM_INFINITY ||
				       rl.rlim_max >= want ? rl.rlim_max : want };
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			rl = more;
	}
	int high = rl.rlim_cur >= want ? SYNCER_CLOSE_MAX + 8 : 100;
	CHECK(pipe(p) == 0);
	CHECK(dup2(p[1], high) == high);
	close(p[1]);
	struct syncer *sy = syncer_start(hook);
	CHECK(sy != NULL);
	close(high); /* now only the child could hold the write end */
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	CHECK(poll(&pf, 1, 5000) == 1);
	char c;
	CHECK(read(p[0], &c, 1) == 0); /* end of file: nobody holds it */
	close(p[0]);
	if (sy)
		syncer_stop(sy);
}

int main(void)
{
	closes_high_descriptors();
	new_room_syncs_its_directory();
	answers();
	child_dies();
	bounded();
	slow_disk();
	many_rooms();
	return UNIT_DONE();
}
