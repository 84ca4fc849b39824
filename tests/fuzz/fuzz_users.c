/* fuzz_users.c — libFuzzer harness for the users file reader
 * (handler/users.c): a file an admin edits by hand.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_users -max_total_time=60
 *
 * The input is the file; the name looked up is its first line's name
 * (so found entries are reached), then a fixed one.  What must hold: a
 * name found is a valid name (lib/names.h) equal, ignoring case, to the
 * one asked for, and the hash fits its buffer and holds no line
 * end nor the ':' that starts the third field; the operator mark is
 * 0 or 1, 0 when nothing was found, and 1 only when the found line's
 * third field holds the word "op" (checked by a second, naive reader
 * of the same bytes).  users_check is not run: crypt(3) would make each input slow. */
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

static const uint8_t *in;
static size_t in_size;

/* The mark as a naive reader sees it: the first line (under the
 * length bound, no NUL) that starts with "canon:" holds ":op" as a
 * whole word of its third field. */
static int naive_op(const char *canon)
{
	size_t at = 0, clen = strlen(canon);
	while (at < in_size) {
		const uint8_t *nl = memchr(in + at, '\n', in_size - at);
		size_t len = nl ? (size_t)(nl - (in + at)) : in_size - at;
		const char *l = (const char *)in + at;
		at += len + 1;
		if (len + 1 >= USERS_LINE_MAX || memchr(l, '\0', len) ||
		    len <= clen || memcmp(l, canon, clen) != 0 || l[clen] != ':')
			continue;
		size_t end = strcspn(l, "\r\n");
		const char *third = memchr(l + clen + 1, ':',
					   (len < end ? len : end) - clen - 1);
		if (!third)
			return 0;
		size_t flen = (size_t)((len < end ? l + len : l + end) - third);
		for (const char *w = third + 1; w < third + flen;) {
			size_t n = 0;
			while (w + n < third + flen && w[n] != ',')
				n++;
			if (n == 2 && memcmp(w, "op", 2) == 0)
				return 1;
			w += n + 1;
		}
		return 0;
	}
	return 0;
}

static void look(const char *name)
{
	char canon[NAME_LEN_MAX + 1], hash[USERS_HASH_MAX + 1];
	char dummy[USERS_HASH_MAX + 1];
	int op = -1;
	memset(canon, 0, sizeof canon);
	int r = users_lookup(path, name, canon, hash, sizeof hash, dummy, &op);
	if (r < 0)
		abort(); /* the file is there and readable */
	if (op != 0 && op != 1)
		abort();
	if (r == 0 && op != 0)
		abort();
	if (r == 1) {
		if (!name_valid(canon, strlen(canon)) ||
		    !name_same(canon, strlen(canon), name, strlen(name)))
			abort();
		if (strlen(hash) >= sizeof hash || strpbrk(hash, "\r\n:"))
			abort();
		if (op != naive_op(canon))
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
	in = data;
	in_size = size;
	memcpy(first, data, n);
	first[n] = '\0';
	if (name_valid(first, n))
		look(first);
	look("ann");
	return 0;
}
