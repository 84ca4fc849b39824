/* test_users.c — reading the users file: what is an entry, what not. */
#include "../../handler/users.h"
#include "names.h"
#include "unit.h"

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

	CHECK(unlink(path) == 0);
	CHECK(find("eve", hash) == -1);
	return UNIT_DONE();
}
