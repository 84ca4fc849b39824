/* test_broker_seen.c — where accounts last left (broker/seen.h): notes
 * seen before they are written, written in batches of at most
 * SEEN_WRITES_PER_PASS, the bound on notes waiting, files read back,
 * and bad or oversized files ignored. */
#include "../../broker/seen.h"
#include "../../lib/log.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/seen", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/seen/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/seen/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void noted_then_written(void)
{
	static struct seen s;
	char room[ROOM_LEN_MAX + 1];
	uint64_t seq = 0;
	CHECK(seen_lookup(&s, dir, "Ann", room, &seq) == 0);
	seen_note(&s, dir, "Ann", "lobby", 41, 1000);
	seen_note(&s, dir, "ann", "dev", 42, 1010); /* the same account */
	CHECK(s.n == 1);
	CHECK(seen_lookup(&s, dir, "ANN", room, &seq) == 1);
	CHECK(strcmp(room, "dev") == 0 && seq == 42);
	CHECK(!exists("ann"));
	CHECK(seen_flush(&s, dir, 1100, 0) == 1000 + SEEN_FLUSH_MS);
	CHECK(!exists("ann"));
	CHECK(seen_flush(&s, dir, 1000 + SEEN_FLUSH_MS, 0) == -1);
	CHECK(exists("ann") && s.n == 0);
	seq = 0;
	CHECK(seen_lookup(&s, dir, "ann", room, &seq) == 1);
	CHECK(strcmp(room, "dev") == 0 && seq == 42);
}

static void batches_and_bound(void)
{
	static struct seen s;
	char name[NAME_LEN_MAX + 1];
	for (int i = 0; i < SEEN_PENDING_MAX + 2; i++) {
		snprintf(name, sizeof name, "u%d", i);
		seen_note(&s, dir, name, "lobby", (uint64_t)i, 0);
	}
	/* past the bound the oldest were written at once */
	CHECK(s.n == SEEN_PENDING_MAX);
	CHECK(exists("u0") && exists("u1") && !exists("u2"));
	seen_flush(&s, dir, SEEN_FLUSH_MS, 0);
	CHECK(s.n == SEEN_PENDING_MAX - SEEN_WRITES_PER_PASS);
	CHECK(seen_flush(&s, dir, 0, 1) == -1 && s.n == 0);
	snprintf(name, sizeof name, "u%d", SEEN_PENDING_MAX + 1);
	CHECK(exists(name));
}

static void bad_files_ignored(void)
{
	static struct seen s;
	char room[ROOM_LEN_MAX + 1], big[SEEN_FILE_MAX * 2];
	uint64_t seq = 7;
	const char *bad[] = { "lobby\n", "lobby x\n", "lo/bby 3\n", "lobby 3",
			      "lobby 3\nmore\n", " 3\n",
			      "lobby 99999999999999999999999\n", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_file("bob", bad[i]);
		CHECK(seen_lookup(&s, dir, "bob", room, &seq) == 0);
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	put_file("bob", big); /* read in part: not "ROOM SEQ\n" */
	CHECK(seen_lookup(&s, dir, "bob", room, &seq) == 0);
	put_file("bob", "dev-2 18446744073709551615\n");
	CHECK(seen_lookup(&s, dir, "bob", room, &seq) == 1);
	CHECK(strcmp(room, "dev-2") == 0 && seq == UINT64_MAX);
	CHECK(seen_lookup(&s, dir, "no/name", room, &seq) == 0);
}

int main(void)
{
	log_init("test_broker_seen", LOG_TO_STDERR);
	snprintf(dir, sizeof dir, "/tmp/natter-seen-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	noted_then_written();
	batches_and_bound();
	bad_files_ignored();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return UNIT_DONE();
}
