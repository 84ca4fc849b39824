/* test_store_recover.c — the log reader against damaged files: a log
 * cut at every byte offset, a byte changed anywhere in a record, random
 * bytes, huge length fields, sequence numbers out of order, names that
 * are not rooms.  Each time the store opens, keeps what is valid, sets
 * the rest aside with one log line, writes on, and reopens clean. */
#include "../../broker/store/store_rec.h"
#include "test_store.h"
#include "unit.h"

#include <fcntl.h>

static unsigned char sample[4 * STORE_REC_MAX];
static size_t sample_len, bounds[5]; /* the end of each record */

static size_t add(size_t at, unsigned kind, uint64_t seq, const char *text)
{
	struct store_entry e = { .kind = kind, .seq = seq, .time_ms = 1700,
				 .name = kind ? "carol" : NULL,
				 .name_len = kind ? 5 : 0,
				 .origin = kind ? "o1" : NULL,
				 .origin_len = kind ? 2 : 0,
				 .origin_no = seq,
				 .text = text, .text_len = text ? strlen(text) : 0 };
	return at + store_rec_encode(sample + at, &e);
}

/* magic, a reservation (ceiling 1024), entries 1, 2, 3 */
static void make_sample(void)
{
	memcpy(sample, STORE_MAGIC, STORE_MAGIC_LEN);
	bounds[0] = add(STORE_MAGIC_LEN, 0, 1024, NULL);
	bounds[1] = add(bounds[0], STORE_SAY, 1, "one");
	bounds[2] = add(bounds[1], STORE_ME, 2, "two two");
	bounds[3] = add(bounds[2], STORE_SAY, 3, "three three three");
	sample_len = bounds[3];
}

static void put_file(const char *dir, const char *name, const void *buf,
		     size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) != 0) {
		perror(path);
		exit(1);
	}
}

/* Opens dir, checks what was loaded and logged, appends one line, then
 * reopens: the log must now be whole (no line) and hold one more. */
static int open_write_reopen(const char *dir, size_t entries, int logs)
{
	struct got g = { 0 };
	int ok = 1;
	struct store *st = test_open(dir, &g);
	if (!st)
		return 0;
	uint64_t last = store_last_seq(st, "lobby");
	ok &= test_read_last(st, &g, "lobby", 100) == entries;
	ok &= g.logs == logs;
	ok &= test_say(st, &g, "lobby", "after", NULL, 0) == 0 &&
	      g.seq > last;
	uint64_t seq = g.seq;
	store_close(st);
	g.logs = 0;
	st = test_open(dir, &g);
	if (!st)
		return 0;
	ok &= test_read_last(st, &g, "lobby", 100) == entries + 1;
	ok &= g.n > 0 && g.seqs[g.n - 1] == seq && g.logs == 0;
	store_close(st);
	return ok;
}

static size_t whole_records(size_t k)
{
	size_t n = 0;
	for (int i = 1; i <= 3; i++)
		n += bounds[i] <= k;
	return n;
}

static void cut_everywhere(void)
{
	int ok = 1, aside = 1;
	for (size_t k = 0; k <= sample_len; k++) {
		char dir[64];
		test_tmpdir(dir, sizeof dir);
		put_file(dir, "lobby.log", sample, k);
		int boundary = k == 0 || k == STORE_MAGIC_LEN;
		for (int i = 0; i < 4; i++)
			boundary |= k == bounds[i];
		int r = open_write_reopen(dir, whole_records(k), !boundary);
		if (!r)
			printf("# cut at %zu of %zu failed\n", k, sample_len);
		ok &= r;
		aside &= test_count_files(dir, "lobby.log.bad") == !boundary;
		test_rmdir(dir);
	}
	CHECK(ok);
	CHECK(aside);
}

static void byte_changed(void)
{
	int ok = 1, kept = 1;
	for (size_t i = bounds[1]; i < bounds[2]; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			char dir[64], bad[64];
			test_tmpdir(dir, sizeof dir);
			sample[i] ^= (unsigned char)(1u << bit);
			put_file(dir, "lobby.log", sample, sample_len);
			sample[i] ^= (unsigned char)(1u << bit);
			ok &= open_write_reopen(dir, 1, 1);
			/* the set-aside copy holds all that was cut */
			FILE *p;
			char cmd[160];
			snprintf(cmd, sizeof cmd, "ls %s | grep bad", dir);
			p = popen(cmd, "r");
			if (p && fgets(bad, sizeof bad, p))
				bad[strcspn(bad, "\n")] = '\0';
			if (p)
				pclose(p);
			kept &= test_file_size(dir, bad) ==
				(long)(sample_len - bounds[1]);
			test_rmdir(dir);
		}
	}
	CHECK(ok);
	CHECK(kept);
}

static void random_files(void)
{
	int ok = 1;
	unsigned char buf[3000];
	srand(12);
	for (int t = 0; t < 200; t++) {
		char dir[64];
		size_t len = (size_t)rand() % sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rand();
		if (t % 2 && len >= STORE_MAGIC_LEN)
			memcpy(buf, STORE_MAGIC, STORE_MAGIC_LEN);
		test_tmpdir(dir, sizeof dir);
		put_file(dir, "lobby.log", buf, len);
		struct got g = { 0 };
		struct store *st = test_open(dir, &g);
		ok &= st != NULL && test_say(st, &g, "lobby", "x", NULL, 0) == 0;
		store_close(st);
		g.logs = 0;
		st = test_open(dir, &g);
		ok &= st != NULL && g.logs == 0;
		store_close(st);
		test_rmdir(dir);
	}
	CHECK(ok);
}

static void huge_lengths(void)
{
	static const uint32_t lens[] = { 0xFFFFFFFFu, 0x7FFFFFFFu,
					 STORE_REC_MAX - STORE_REC_HDR + 1,
					 STORE_REC_FIXED - 1, 0 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		char dir[64];
		unsigned char buf[512] = { 0 }; /* > bounds[1] + 40 */
		memcpy(buf, sample, bounds[1]); /* magic, reservation, one */
		size_t at = bounds[1];
		for (int b = 0; b < 4; b++)
			buf[at + (size_t)b] = (unsigned char)(lens[i] >> (8 * b));
		test_tmpdir(dir, sizeof dir);
		put_file(dir, "lobby.log", buf, at + 40);
		CHECK(open_write_reopen(dir, 1, 1));
		test_rmdir(dir);
	}
}

/* A valid record whose number does not follow ends the valid data;
 * so does text added by hand. */
static void out_of_order(void)
{
	char dir[64];
	size_t n = add(bounds[3], STORE_SAY, 2, "two again");
	test_tmpdir(dir, sizeof dir);
	put_file(dir, "lobby.log", sample, n);
	CHECK(open_write_reopen(dir, 3, 1));
	test_rmdir(dir);
	memcpy(sample + bounds[3], "hello\n", 6);
	test_tmpdir(dir, sizeof dir);
	put_file(dir, "lobby.log", sample, bounds[3] + 6);
	CHECK(open_write_reopen(dir, 3, 1));
	test_rmdir(dir);
}

/* Only DIR/ROOM.log is read; a stale ROOM.log.tmp goes. */
static void names(void)
{
	char dir[64];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	put_file(dir, "bad name.log", sample, sample_len);
	put_file(dir, "x.y.log", sample, sample_len);
	put_file(dir, ".log", sample, sample_len);
	put_file(dir, "abcdefghijabcdefghijabcdefghijabc.log", sample,
		 sample_len);
	put_file(dir, "-.log", sample, sample_len);
	put_file(dir, "dev.log.tmp", "junk", 4);
	put_file(dir, "dev.log.bad-1", "junk", 4);
	struct store *st = test_open(dir, &g);
	CHECK(st != NULL);
	CHECK(store_last_seq(st, "-") == 3);
	CHECK(store_last_seq(st, "x") == 0 && store_last_seq(st, "dev") == 0);
	CHECK(test_count_files(dir, "dev.log.tmp") == 0);
	CHECK(test_count_files(dir, "dev.log.bad-1") == 1);
	CHECK(g.logs == 0);
	store_close(st);
	test_rmdir(dir);
}

int main(void)
{
	make_sample();
	cut_everywhere();
	byte_changed();
	random_files();
	huge_lengths();
	out_of_order();
	names();
	return UNIT_DONE();
}
