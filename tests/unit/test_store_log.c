/* test_store_log.c — the room log's core with the files backend:
 * append, read-last, read-after, across reopen; completions only from
 * store_run; sequence numbers after a clean close and after a crash;
 * dedupe across reopen; bad arguments; the bounds; the default
 * directory rule. */
#include "test_store.h"
#include "unit.h"

#include <sys/wait.h>

static void append_read_reopen(void)
{
	char dir[64], text[32];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g);
	CHECK(st != NULL);
	int ok = 1;
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof text, "line %d", i);
		ok &= test_say(st, &g, "lobby", text, "s1", (uint64_t)i) == 0 &&
		      g.seq == (uint64_t)i;
	}
	CHECK(ok);
	CHECK(store_last_seq(st, "lobby") == 10);
	CHECK(test_read_last(st, &g, "lobby", 3) == 3);
	CHECK(strcmp(g.texts[0], "line 8") == 0 && g.seqs[2] == 10);
	CHECK(store_read_after(st, "lobby", 5, 100, 1) == 0);
	store_run(st, 0);
	CHECK(g.n == 5 && g.seqs[0] == 6 && g.missed == 0);
	CHECK(store_read_after(st, "lobby", 2, 3, 1) == 0);
	store_run(st, 0);
	CHECK(g.n == 3 && g.seqs[0] == 8 && g.missed == 5);
	/* an unknown room reads empty */
	CHECK(test_read_last(st, &g, "nobody", 5) == 0);
	store_close(st);

	st = test_open(dir, &g);
	CHECK(st != NULL);
	CHECK(store_last_seq(st, "lobby") == 10);
	CHECK(test_read_last(st, &g, "lobby", 20) == 10);
	CHECK(strcmp(g.texts[9], "line 10") == 0 && g.seqs[0] == 1);
	/* a clean close gave back the reserved numbers: no gap */
	CHECK(test_say(st, &g, "lobby", "line 11", "s1", 11) == 0);
	CHECK(g.seq == 11);
	CHECK(g.logs == 0);
	store_close(st);
	test_rmdir(dir);
}

static int reentered;
static struct store *reenter_store;

static void done_reenter(void *ctx, const struct store_result *r)
{
	(void)ctx;
	if (r->op == STORE_APPEND && r->token == 1) {
		struct store_entry e = { .kind = STORE_ME, .name = "bob",
					 .name_len = 3, .text = "waves",
					 .text_len = 5 };
		reentered = store_append(reenter_store, "lobby", &e, 2) == 0 ?
			    1 : -1;
	} else if (r->op == STORE_APPEND && r->token == 2) {
		reentered = r->entry->seq == 2 ? 2 : -2;
	}
}

/* Nothing completes inside the call that asked; a callback's own
 * request completes on the next pass, and store_run says it has work. */
static void later_pass(void)
{
	char dir[64], err[256];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store_config c = { .dir = dir, .done = done_reenter,
				  .log = got_log, .ctx = &g };
	struct store *st = store_open_files(&c, err, sizeof err);
	CHECK(st != NULL);
	reenter_store = st;
	struct store_entry e = { .kind = STORE_SAY, .name = "al",
				 .name_len = 2, .text = "hi", .text_len = 2 };
	CHECK(store_append(st, "lobby", &e, 1) == 0);
	CHECK(reentered == 0);
	CHECK(store_run(st, 0) == 0); /* the callback's append waits */
	CHECK(reentered == 1);
	store_run(st, 0);
	CHECK(reentered == 2);
	CHECK(store_read_last(st, "lobby", 5, 3) == 0);
	CHECK(reentered == 2);
	store_close(st);
	test_rmdir(dir);
}

static void sequence_after_crash(void)
{
	char dir[64];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	pid_t pid = fork();
	if (pid == 0) {
		struct store *st = test_open(dir, &g);
		for (int i = 0; st && i < 3; i++)
			test_say(st, &g, "dev", "before the crash", "s9",
				 (uint64_t)i + 1);
		_exit(st && g.seq == 3 ? 0 : 1); /* no close: a crash */
	}
	int ws;
	CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
	      WEXITSTATUS(ws) == 0);
	struct store *st = test_open(dir, &g);
	CHECK(st != NULL);
	CHECK(store_last_seq(st, "dev") == 3);
	CHECK(test_read_last(st, &g, "dev", 10) == 3);
	/* dedupe across the crash, from the log */
	CHECK(store_seen(st, "dev", "s9", 2, 3) == 1);
	CHECK(store_seen(st, "dev", "s9", 2, 4) == 0);
	/* the numbers reserved before the crash are never handed out */
	CHECK(test_say(st, &g, "dev", "after", "s9", 4) == 0);
	CHECK(g.seq > STORE_SEQ_BLOCK);
	uint64_t after = g.seq;
	store_close(st);
	st = test_open(dir, &g);
	CHECK(st && test_say(st, &g, "dev", "again", NULL, 0) == 0 &&
	      g.seq == after + 1);
	CHECK(g.logs == 0);
	store_close(st);
	test_rmdir(dir);
}

static void dedupe(void)
{
	char dir[64];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g);
	CHECK(st != NULL);
	for (uint64_t i = 1; i <= 5; i++)
		test_say(st, &g, "lobby", "x", "host:1:alice", i);
	test_say(st, &g, "lobby", "y", "host:2:bob", 7);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 5) == 1);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 1) == 1);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 6) == 0);
	CHECK(store_seen(st, "lobby", "host:2:bob", 10, 7) == 1);
	CHECK(store_seen(st, "lobby", "host:2:bob", 10, 0) == 0);
	CHECK(store_seen(st, "lobby", "host:3:eve", 10, 1) == 0);
	CHECK(store_seen(st, "dev", "host:1:alice", 12, 1) == 0);
	/* seen from the moment the append is accepted */
	struct store_entry e = { .kind = STORE_SAY, .name = "a", .name_len = 1,
				 .origin = "host:1:alice", .origin_len = 12,
				 .origin_no = 6 };
	CHECK(store_append(st, "lobby", &e, 0) == 0);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 6) == 1);
	store_run(st, 0);
	store_close(st);
	st = test_open(dir, &g);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 6) == 1);
	CHECK(store_seen(st, "lobby", "host:1:alice", 12, 7) == 0);
	CHECK(store_seen(st, "lobby", "host:2:bob", 10, 7) == 1);
	store_close(st);
	test_rmdir(dir);
}

static int append_one(struct store *st, const char *room, unsigned kind,
		      const char *name, size_t nlen, const char *text,
		      size_t tlen)
{
	struct store_entry e = { .kind = kind, .name = name, .name_len = nlen,
				 .text = text, .text_len = tlen };
	errno = 0;
	return store_append(st, room, &e, 0) == 0 ? 0 : errno;
}

static void bad_arguments(void)
{
	char dir[64], big[STORE_TEXT_MAX + 2];
	struct got g = { 0 };
	memset(big, 'x', sizeof big);
	test_tmpdir(dir, sizeof dir);
	struct store *st = test_open(dir, &g);
	CHECK(append_one(st, "../etc", 1, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, "a/b", 1, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, ".", 1, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, "", 1, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, "abcdefghijabcdefghijabcdefghijabc", 1, "a", 1,
			 "t", 1) == EINVAL); /* 33 bytes */
	CHECK(append_one(st, "abcdefghijabcdefghijabcdefghijab", 1, "a", 1,
			 "t", 1) == 0);      /* 32 bytes */
	CHECK(append_one(st, "r", 0, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, "r", 256, "a", 1, "t", 1) == EINVAL);
	CHECK(append_one(st, "r", 1, "a", 0, "t", 1) == EINVAL);
	CHECK(append_one(st, "r", 1, big, STORE_NAME_MAX + 1, "t", 1) ==
	      EINVAL);
	CHECK(append_one(st, "r", 1, big, STORE_NAME_MAX, "t", 1) == 0);
	CHECK(append_one(st, "r", 1, "a", 1, big, STORE_TEXT_MAX + 1) ==
	      EINVAL);
	CHECK(append_one(st, "r", 1, "a", 1, big, STORE_TEXT_MAX) == 0);
	CHECK(append_one(st, "r", 1, "a", 1, "t\0u", 3) == EINVAL);
	CHECK(append_one(st, "r", 5, "a", 1, "", 0) == 0);
	store_run(st, 0);
	CHECK(g.appends == 4 && g.status == 0);
	CHECK(test_read_last(st, &g, "r", 10) == 3);
	store_close(st);
	test_rmdir(dir);
}

/* A read is cut to the cache; a room past rooms_max completes with
 * EMFILE and seq 0, without a "history not written" line. */
static void bounds(void)
{
	char dir[64], err[256];
	struct got g = { 0 };
	test_tmpdir(dir, sizeof dir);
	struct store_config c = test_config(dir, &g);
	c.cache = 5;
	c.keep = 10;
	c.rooms_max = 2;
	struct store *st = store_open_files(&c, err, sizeof err);
	CHECK(st != NULL);
	for (int i = 0; i < 8; i++)
		test_say(st, &g, "one", "x", NULL, 0);
	CHECK(test_read_last(st, &g, "one", 100) == 5 && g.seqs[0] == 4);
	CHECK(test_say(st, &g, "two", "x", NULL, 0) == 0);
	CHECK(test_say(st, &g, "three", "x", NULL, 0) == EMFILE &&
	      g.seq == 0);
	CHECK(g.logs == 0);
	store_close(st);
	test_rmdir(dir);
}

static void default_dir(void)
{
	char buf[64];
	CHECK(store_default_dir_of(buf, sizeof buf, 0, "/x", "/home/a") == 0 &&
	      strcmp(buf, "/var/lib/natter") == 0);
	CHECK(store_default_dir_of(buf, sizeof buf, 1000, "/x/state",
				   "/home/a") == 0 &&
	      strcmp(buf, "/x/state/natter") == 0);
	CHECK(store_default_dir_of(buf, sizeof buf, 1000, "rel", "/home/a") ==
	      0 && strcmp(buf, "/home/a/.local/state/natter") == 0);
	CHECK(store_default_dir_of(buf, sizeof buf, 1000, NULL, "/home/a") ==
	      0 && strcmp(buf, "/home/a/.local/state/natter") == 0);
	CHECK(store_default_dir_of(buf, sizeof buf, 1000, NULL, NULL) == -1);
	CHECK(store_default_dir_of(buf, sizeof buf, 1000, NULL, "") == -1);
	CHECK(store_default_dir_of(buf, 20, 1000, NULL, "/home/a") == -1);
	CHECK(store_default_dir_of(buf, 16, 0, NULL, NULL) == 0);
	CHECK(store_default_dir_of(buf, 15, 0, NULL, NULL) == -1);
	CHECK(store_default_dir(buf, sizeof buf) == 0 || getuid() != 0);
}

int main(void)
{
	append_read_reopen();
	later_pass();
	sequence_after_crash();
	dedupe();
	bad_arguments();
	bounds();
	default_dir();
	return UNIT_DONE();
}
