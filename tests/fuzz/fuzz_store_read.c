/* fuzz_store_read.c — libFuzzer harness for the room log's reader: the
 * input is a room's log file, read by a real store on a real directory.
 *
 * make fuzz runs it (make check replays tests/fuzz/corpus/store_read);
 * or build and run it alone (from the top of the tree; 60 s):
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
 *     tests/fuzz/fuzz_store_read.c broker/store/store*.c lib/names.c lib/log.c \
 *     -o build/fuzz_store_read
 *   mkdir -p build/fuzz-corpus && build/fuzz_store_read -max_total_time=60 \
 *     -max_len=20000 build/fuzz-corpus
 *
 * Each input is written as DIR/lobby.log (DIR on /dev/shm when it
 * exists), and the harness aborts unless: the store opens; one append
 * completes with a sequence number above every one read; and a second
 * open finds the log whole (no log line) and ending in that append. */
#include "../../broker/store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static int lines, appended;
static uint64_t seq;

static void on_done(void *ctx, const struct store_result *r)
{
	(void)ctx;
	if (r->op == STORE_APPEND && r->status == 0) {
		appended++;
		seq = r->entry->seq;
	}
}

static void on_log(void *ctx, int level, const char *line)
{
	(void)ctx, (void)level, (void)line;
	lines++;
}

/* The directory empty again, but for its lock file. */
static void clear(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "lock") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void cleanup(void)
{
	char lock[128];
	clear();
	snprintf(lock, sizeof lock, "%s/lock", dir);
	(void)unlink(lock);
	(void)rmdir(dir);
}

static struct store *reopen(void)
{
	char err[256];
	struct store_config c = { .dir = dir, .done = on_done,
				  .log = on_log, .keep = 50, .cache = 20 };
	struct store *st = store_open_files(&c, err, sizeof err);
	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		abort();
	}
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/natter-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	clear();
	snprintf(path, sizeof path, "%s/lobby.log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd))
		abort();
	struct store *st = reopen();
	uint64_t before = store_last_seq(st, "lobby");
	struct store_entry e = { .kind = STORE_SAY, .name = "fz",
				 .name_len = 2, .text = "t", .text_len = 1 };
	appended = 0;
	if (store_append(st, "lobby", &e, 1) != 0)
		abort();
	store_run(st, 0);
	if (appended != 1 || seq <= before)
		abort();
	uint64_t want = seq;
	store_close(st);
	lines = 0;
	st = reopen();
	if (lines != 0 || store_last_seq(st, "lobby") != want)
		abort();
	store_close(st);
	return 0;
}
