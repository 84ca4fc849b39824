/* fuzz_users.c — libFuzzer harness for the users file reader
 * (handler/users.c): a file an admin edits by hand.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_users -max_total_time=60
 *
 * The input is the file; the name looked up is its first line's name
 * (so found entries are reached), then a fixed one.  What must hold: a
 * name found is a valid name (lib/names.h) equal, ignoring case, to the
 * one asked for, and the hash fits its buffer and holds no line
 * end.  users_check is not run: crypt(3) would make each input slow. */
#include "../../handler/users.h"
#include "names.h"
#include "namecmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void forget(void)
{
	unlink(path);
}

static void look(const char *name)
{
	char canon[NAME_LEN_MAX + 1], hash[USERS_HASH_MAX + 1];
	char dummy[USERS_HASH_MAX + 1];
	memset(canon, 0, sizeof canon);
	int r = users_find(path, name, canon, hash, sizeof hash, dummy);
	if (r < 0)
		abort(); /* the file is there and readable */
	if (r == 1) {
		if (!name_valid(canon, strlen(canon)) ||
		    !name_same(canon, strlen(canon), name, strlen(name)))
			abort();
		if (strlen(hash) >= sizeof hash || strpbrk(hash, "\r\n"))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char first[NAME_LEN_MAX + 1];
	size_t n = 0;
	if (!path[0]) {
		snprintf(path, sizeof path, "/tmp/natter-fuzz-users-%ld",
			 (long)getpid());
		atexit(forget);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	while (n < size && n < NAME_LEN_MAX && data[n] != ':' &&
	       data[n] != '\n')
		n++;
	memcpy(first, data, n);
	first[n] = '\0';
	if (name_valid(first, n))
		look(first);
	look("ann");
	return 0;
}
