/* replay.c — runs a libFuzzer harness without libFuzzer, in make check.
 *
 * Built once per harness as build/tests/test_fuzz_NAME: it feeds the
 * harness every file of tests/fuzz/corpus/NAME (the seeds, and any
 * input a fuzzing run found worth keeping: a crash once fixed belongs
 * there), then REPLAY_MUTANTS inputs made by flipping, cutting and
 * splicing those files with a fixed seed, so every run is the same.  A
 * harness aborts on a broken promise; here that fails the test run.
 * The real search is `make fuzz`. */
#include "../unit/unit.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MUTANTS 20000
#define REPLAY_FILE_MAX (64 * 1024)
#define REPLAY_FILES_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seed {
	uint8_t *data;
	size_t len;
};

static struct seed seeds[REPLAY_FILES_MAX];
static size_t nseeds;

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) && nseeds < REPLAY_FILES_MAX) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(REPLAY_FILE_MAX);
		size_t n = buf ? fread(buf, 1, REPLAY_FILE_MAX, f) : 0;
		fclose(f);
		if (!buf)
			continue;
		seeds[nseeds].data = buf;
		seeds[nseeds++].len = n;
	}
	closedir(d);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One mutant of two seeds into out: a splice, then a few byte flips. */
static size_t mutate(uint8_t *out)
{
	const struct seed *a = &seeds[next() % nseeds];
	const struct seed *b = &seeds[next() % nseeds];
	size_t cut_a = a->len ? next() % (a->len + 1) : 0;
	size_t from_b = b->len ? next() % (b->len + 1) : 0;
	size_t n = cut_a;
	memcpy(out, a->data, cut_a);
	memcpy(out + n, b->data + from_b, b->len - from_b);
	n += b->len - from_b;
	for (int flips = (int)(next() % 4); flips > 0 && n > 0; flips--)
		out[next() % n] = (uint8_t)next();
	return n;
}

int main(void)
{
	static uint8_t buf[2 * REPLAY_FILE_MAX];
	load(FUZZ_CORPUS);
	CHECK(nseeds > 0);
	for (size_t i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
	for (int i = 0; nseeds > 0 && i < REPLAY_MUTANTS; i++) {
		size_t n = mutate(buf);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("ok %s: %zu seeds and %d mutants, no broken promise\n",
	       FUZZ_CORPUS, nseeds, REPLAY_MUTANTS);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i].data);
	return UNIT_DONE();
}
