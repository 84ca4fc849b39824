/* test_store.h — what the store's unit tests share: a temporary state
 * directory, a completion collector, a log-line counter. */
#ifndef NATTER_TEST_STORE_H
#define NATTER_TEST_STORE_H

#include "../../broker/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GOT_MAX 600

/* What the completions said. */
struct got {
	int appends, reads;
	int status;                     /* the last append's */
	uint64_t seq;                   /* the last append's */
	uint64_t token;
	size_t n;                       /* the last read's */
	uint64_t seqs[GOT_MAX];
	char texts[GOT_MAX][32];
	uint64_t missed;
	int logs;                       /* log lines */
	char log[512];
};

static inline void got_done(void *ctx, const struct store_result *r)
{
	struct got *g = ctx;
	g->token = r->token;
	if (r->op == STORE_APPEND) {
		g->appends++;
		g->status = r->status;
		g->seq = r->entry->seq;
		return;
	}
	g->reads++;
	g->n = r->n;
	g->missed = r->missed;
	for (size_t i = 0; i < r->n && i < GOT_MAX; i++) {
		g->seqs[i] = r->entries[i]->seq;
		snprintf(g->texts[i], sizeof g->texts[i], "%s",
			 r->entries[i]->text);
	}
}

static inline void got_log(void *ctx, int level, const char *line)
{
	struct got *g = ctx;
	(void)level;
	g->logs++;
	snprintf(g->log, sizeof g->log, "%s", line);
	if (getenv("STORE_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

static inline struct store_config test_config(const char *dir,
					      struct got *g)
{
	struct store_config c = { .dir = dir, .done = got_done, .ctx = g,
				  .log = got_log };
	return c;
}

static inline struct store *test_open(const char *dir, struct got *g)
{
	char err[256];
	struct store_config c = test_config(dir, g);
	struct store *st = store_open_files(&c, err, sizeof err);
	if (!st)
		printf("# open %s: %s\n", dir, err);
	return st;
}

/* Appends a line "text" from name with (origin, no); runs the store;
 * returns the status (the seq in g->seq). */
static inline int test_say(struct store *st, struct got *g,
			   const char *room, const char *text,
			   const char *origin, uint64_t no)
{
	struct store_entry e = { .kind = STORE_SAY, .name = "alice",
				 .name_len = 5, .text = text,
				 .text_len = strlen(text), .origin = origin,
				 .origin_len = origin ? strlen(origin) : 0,
				 .origin_no = no };
	int before = g->appends;
	if (store_append(st, room, &e, 0) != 0)
		return -1;
	store_run(st, 0);
	return g->appends == before + 1 ? g->status : -2;
}

static inline size_t test_read_last(struct store *st, struct got *g,
				    const char *room, size_t max)
{
	g->n = 0;
	if (store_read_last(st, room, max, 7) != 0)
		return (size_t)-1;
	store_run(st, 0);
	return g->n;
}

static inline void test_tmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/natter-store-XXXXXX");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		exit(1);
	}
}

static inline void test_rmdir(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* How many files in dir have names starting with prefix. */
static inline int test_count_files(const char *dir, const char *prefix)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '^%s'", dir, prefix);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static inline long test_file_size(const char *dir, const char *name)
{
	char path[512];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

#endif
