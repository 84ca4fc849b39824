/* test_users.c — reading the users file: what is an entry, what not. */
#include "../../handler/users.h"
#include "names.h"
#include "unit.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/natter-test-users-XXXXXX";

static void write_file(const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		exit(1);
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

static int find(const char *name, char *hash)
{
	char canon[NAME_LEN_MAX + 1];
	return users_find(path, name, canon, hash, USERS_HASH_MAX + 1, NULL);
}

/* users_check: a locked entry ("*", "!", "!" before a real hash, the
 * failure tokens "*0" and "*1"), an empty hash, or one not of crypt's
 * "$" kinds (a DES hash of the right password: crypt would match it)
 * never logs in, with any password: the guard that the stored hash
 * starts with "$" and crypt did not fail ("*").  (With libxcrypt the
 * locked ones fail even without the guard, as its failure token always
 * differs from the setting; the DES entry does not.)  A real hash is
 * the positive control. */
static void locked_entries(void)
{
	char canon[NAME_LEN_MAX + 1], data[1024], des[64], h[USERS_HASH_MAX];
	const char *made = users_hash("pw"); /* crypt's static buffer: copy */
	CHECK(made != NULL && made[0] == '$' && strlen(made) < sizeof h);
	if (!made || strlen(made) >= sizeof h)
		return;
	memcpy(h, made, strlen(made) + 1);
	const char *d = crypt("pw", "ab");
	snprintf(des, sizeof des, "%s", d && d[0] != '*' ? d : "abJnggxhB/yWI");
	int n = snprintf(data, sizeof data, "ok:%s\nlocked:!%s\nstar:*\n"
			 "bang:!\nempty:\nstar0:*0\nstar1:*1\ndes:%s\n", h, h,
			 des);
	CHECK(n > 0 && (size_t)n < sizeof data);
	write_file(data, (size_t)n);
	CHECK(users_check(path, "ok", "pw", canon) == 1);
	CHECK(users_check(path, "ok", "wrong", canon) == 0);
	static const char *const names[] = { "locked", "star", "bang", "empty",
					     "star0", "star1", "des" };
	static const char *const tries[] = { "pw", "", "*", "!", "*0", "*1",
					     "!pw" };
	int refused = 1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (size_t j = 0; j < sizeof tries / sizeof tries[0]; j++)
			if (users_check(path, names[i], tries[j], canon) != 0) {
				printf("# %s logged in with '%s'\n", names[i],
				       tries[j]);
				refused = 0;
			}
	CHECK(refused);
}

int main(void)
{
	char hash[USERS_HASH_MAX + 1];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return 1;
	close(fd);

	/* A line with a NUL in it is no entry, and the next one still is. */
	static const char nul[] = "bob:x\0y\nalice:$6$abc\r\n";
	write_file(nul, sizeof nul - 1);
	CHECK(find("alice", hash) == 1 && strcmp(hash, "$6$abc") == 0);
	CHECK(find("bob", hash) == 0);

	/* An over-long line is passed over, only it. */
	char big[2 * USERS_LINE_MAX + 64];
	int n = snprintf(big, sizeof big, "carl:");
	memset(big + n, 'h', USERS_LINE_MAX);
	n += USERS_LINE_MAX;
	n += snprintf(big + n, sizeof big - (size_t)n, "\n# note\n\ndee:$y$q\n");
	write_file(big, (size_t)n);
	CHECK(find("carl", hash) == 0);
	CHECK(find("dee", hash) == 1 && strcmp(hash, "$y$q") == 0);
	CHECK(find("DEE", hash) == 1);

	/* The last line needs no line end. */
	write_file("eve:$6$z", 8);
	CHECK(find("eve", hash) == 1 && strcmp(hash, "$6$z") == 0);

	locked_entries();

	CHECK(unlink(path) == 0);
	CHECK(find("eve", hash) == -1);
	return UNIT_DONE();
}
