/* test_store_fail.c — the files backend when things go wrong or grow:
 * a second broker on the directory, writes that fail (an injected
 * ENOSPC, EIO, EROFS, a short write) and then work again, a state
 * directory that is a file, compaction (numbers go on, the file stays
 * bounded), and its timing (STORE_BENCH=1: keep 5000, 4 KB lines). */
#include "../../broker/store/store_files.h"
#include "test_store.h"
#include "unit.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static int fail_errno;  /* the next writes fail with it */
static int fail_short;  /* the next write is cut short first */
static int pass_writes; /* ... but these many first go through */
static int writes;      /* the writes tried */

static ssize_t hook(int fd, const void *buf, size_t len, off_t off)
{
	writes++;
	if (pass_writes > 0) {
		pass_writes--;
		return pwrite(fd, buf, len, off);
	}
	if (fail_short && len > 1) {
		fail_short = 0;
		return pwrite(fd, buf, len / 2, off);
	}
	if (fail_errno) {
		errno = fail_errno;
		return -1;
	}
	return pwrite(fd, buf, len, off);
}

static struct store *open_hooked(const char *dir, struct got *g,
				 size_t keep)
{
	char err[256];
	struct store_config c = test_config(dir, g);
	c.pwrite_hook = hook;
	c.keep = keep;
	c.cache = keep < 500 ? keep : 500;
	struct store *st = store_open_files(&c, err, sizeof err);
	if (!st)
		printf("# %s\n", err);
	return st;
}

static void lock_refused(void)
{
	char dir[64], err[256], want[128];
	int p[2], q[2];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	CHECK(pipe(p) == 0 && pipe(q) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct store *st = test_open(dir, &g);
		char c = st ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1 || read(q[0], &c, 1) < 0)
			_exit(1);
		store_close(st);
		_exit(0);
	}
	char c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'y');
	struct store_config cfg = test_config(dir, &g);
	CHECK(store_open_files(&cfg, err, sizeof err) == NULL);
	snprintf(want, sizeof want, "state directory %s is in use by another "
		 "broker (pid %ld)", dir, (long)pid);
	CHECK(strcmp(err, want) == 0);
	if (strcmp(err, want) != 0)
		printf("# %s\n", err);
	CHECK(write(q[1], "x", 1) == 1);
	int ws;
	CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
	      WEXITSTATUS(ws) == 0);
	struct store *st = store_open_files(&cfg, err, sizeof err);
	CHECK(st != NULL); /* free again once the first is gone */
	store_close(st);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
	test_rmdir(dir);
}

/* History stops with one log line, chat's appends complete with the
 * error, and it resumes with one line; the file stays whole. */
static void write_fails(int err, int shortfirst)
{
	char dir[64];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = open_hooked(dir, &g, 100);
	CHECK(st != NULL);
	for (int i = 0; i < 3; i++)
		test_say(st, &g, "lobby", "fine", NULL, 0);
	CHECK(g.seq == 3 && g.logs == 0);
	fail_errno = err;
	fail_short = shortfirst;
	CHECK(test_say(st, &g, "lobby", "lost", NULL, 0) == err && g.seq == 0);
	CHECK(test_say(st, &g, "lobby", "lost", NULL, 0) == err && g.seq == 0);
	CHECK(test_say(st, &g, "newroom", "lost", NULL, 0) == err);
	CHECK(g.logs == 1 && strstr(g.log, strerror(err)) != NULL);
	fail_errno = 0;
	CHECK(test_say(st, &g, "lobby", "back", NULL, 0) == 0 && g.seq == 4);
	CHECK(g.logs == 2 && strcmp(g.log, "history written again") == 0);
	CHECK(test_say(st, &g, "newroom", "back", NULL, 0) == 0);
	CHECK(test_read_last(st, &g, "lobby", 10) == 4 &&
	      strcmp(g.texts[3], "back") == 0);
	store_close(st);
	g.logs = 0;
	st = test_open(dir, &g);
	CHECK(test_read_last(st, &g, "lobby", 10) == 4 && g.seqs[3] == 4);
	CHECK(g.logs == 0); /* nothing of the failed writes stayed */
	store_close(st);
	test_rmdir(dir);
}

/* A path that is a file: a one-line error, no store. */
static void dir_is_file(void)
{
	char dir[64], path[128], err[256];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/state", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL && fclose(f) == 0);
	struct store_config c = test_config(path, &g);
	CHECK(store_open_files(&c, err, sizeof err) == NULL);
	CHECK(strstr(err, path) != NULL && strchr(err, '\n') == NULL);
	/* and a missing one is made, parents too, 0700 */
	snprintf(path, sizeof path, "%s/a/b/natter", dir);
	c.dir = path;
	struct store *st = store_open_files(&c, err, sizeof err);
	struct stat sb;
	CHECK(st != NULL && stat(path, &sb) == 0 &&
	      (sb.st_mode & 0777) == 0700);
	store_close(st);
	test_rmdir(dir);
}

/* Not root: a directory made read-only really refuses writes. */
static void read_only_dir(void)
{
	char dir[64];
	struct got g = { 0 };
	if (geteuid() == 0) {
		printf("# read-only directory: root writes anyway, tested "
		       "with the injected EROFS\n");
		return;
	}
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g);
	test_say(st, &g, "lobby", "one", NULL, 0);
	store_close(st);
	CHECK(chmod(dir, 0500) == 0);
	st = test_open(dir, &g);
	CHECK(st != NULL && test_read_last(st, &g, "lobby", 5) == 1);
	CHECK(test_say(st, &g, "dev", "x", NULL, 0) != 0 && g.logs == 1);
	CHECK(chmod(dir, 0700) == 0);
	CHECK(test_say(st, &g, "dev", "x", NULL, 0) == 0 && g.logs == 2);
	store_close(st);
	test_rmdir(dir);
}

static void compaction(void)
{
	char dir[64], text[32];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = open_hooked(dir, &g, 20);
	long long now = 0;
	int ok = 1;
	for (int i = 1; i <= 300; i++) {
		snprintf(text, sizeof text, "line %d", i);
		ok &= test_say(st, &g, "lobby", text, "o", (uint64_t)i) == 0 &&
		      g.seq == (uint64_t)i;
		store_run(st, now += 10);
	}
	CHECK(ok);
	/* the file holds at most 2 x keep records (+ a step's worth) */
	long size = test_file_size(dir, "lobby.log");
	CHECK(size > 0 && size < 45 * 60);
	CHECK(test_count_files(dir, "lobby.log.tmp") == 0);
	store_close(st);
	st = test_open(dir, &g);
	CHECK(test_read_last(st, &g, "lobby", 20) == 20);
	CHECK(g.seqs[19] == 300 && strcmp(g.texts[19], "line 300") == 0);
	CHECK(g.seqs[0] == 281);
	CHECK(store_seen(st, "lobby", "o", 1, 300) == 1);
	CHECK(test_say(st, &g, "lobby", "on", NULL, 0) == 0 && g.seq == 301);
	CHECK(g.logs == 0);
	store_close(st);
	test_rmdir(dir);
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	       (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* keep 5000, 4 KB lines: the longest store_run pass while the file
 * grows to 2 x keep and is compacted, and the compaction's passes. */
static void compaction_timing(void)
{
	static char text[4096];
	char dir[64];
	struct got g = { 0 };
	const char *where = getenv("STORE_BENCH_DIR");
	memset(text, 'x', sizeof text - 1);
	snprintf(dir, sizeof dir, "%s/natter-bench-XXXXXX", where ? where :
		 "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	struct store *st = open_hooked(dir, &g, 5000);
	struct store_entry e = { .kind = STORE_SAY, .name = "alice",
				 .name_len = 5, .text = text,
				 .text_len = sizeof text - 1 };
	double worst = 0, total = 0, append_worst = 0, other_worst = 0;
	int passes = 0;
	long long now = 0;
	for (int i = 0; i < 10500; i++) {
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		store_append(st, "lobby", &e, 0);
		double a = ms_since(&t0);
		append_worst = a > append_worst ? a : append_worst;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int wants = store_run(st, now += 5);
		double d = ms_since(&t0);
		if (wants == 0) { /* a compaction step was taken */
			passes++;
			total += d;
			worst = d > worst ? d : worst;
		} else {
			other_worst = d > other_worst ? d : other_worst;
		}
	}
	printf("# compaction, keep 5000, 4 KB lines, in %s: %d store_run "
	       "passes of up to %d KiB each, %.1f ms in all, the longest "
	       "%.2f ms; other passes (fdatasync each second) up to %.2f ms; "
	       "appends up to %.3f ms\n", where ? where : "/tmp", passes,
	       STORE_COMPACT_STEP / 1024, total, worst, other_worst,
	       append_worst);
	CHECK(g.status == 0 && g.seq == 10500);
	CHECK(test_file_size(dir, "lobby.log") < 5600L * 4200);
	store_close(st);
	test_rmdir(dir);
}

/* A reservation of numbers ahead whose write fails (the disk filled
 * just after a line was written) is tried again once a line is
 * written, not at every pass: a full disk costs no write per pass. */
static void reservation_fails_quietly(void)
{
	char dir[64], err[256];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store_config c = test_config(dir, &g);
	c.pwrite_hook = hook;
	c.sync_child = 1;
	struct store *st = store_open_files(&c, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	int ok = 1;
	for (uint64_t i = 1; i < STORE_SEQ_BLOCK / 2 && ok; i++)
		ok = test_say(st, &g, "lobby", "x", "o", i) == 0;
	CHECK(ok);
	/* the next line is written; its reservation ahead is not */
	fail_errno = ENOSPC;
	pass_writes = 1;
	CHECK(test_say(st, &g, "lobby", "x", "o", STORE_SEQ_BLOCK / 2) == 0);
	int before = writes;
	for (int i = 0; i < 100; i++)
		store_run(st, 0);
	CHECK(writes == before);
	fail_errno = 0; /* room again: the next line reserves too */
	CHECK(test_say(st, &g, "lobby", "x", "o", STORE_SEQ_BLOCK / 2 + 1)
	      == 0);
	CHECK(writes == before + 2);
	store_close(st);
	test_rmdir(dir);
}

int main(void)
{
	reservation_fails_quietly();
	lock_refused();
	write_fails(ENOSPC, 0);
	write_fails(EIO, 1);
	write_fails(EROFS, 0);
	dir_is_file();
	read_only_dir();
	compaction();
	if (getenv("STORE_BENCH"))
		compaction_timing();
	return UNIT_DONE();
}
