/* fuzz_scrub.c — libFuzzer harness for the client's scrubber
 * (client/scrub.c): what the server sends, made safe for a terminal.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_scrub -max_total_time=60
 *
 * What must hold: the output is valid UTF-8 with no control character
 * but '\n' (no C0, no DEL, no C1 U+0080-U+009F), so no escape sequence
 * can reach the terminal; it stays within SCRUB_GROWTH of the input;
 * and input cut into two reads at any point gives the same output as
 * one read. */
#include "../../client/scrub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Aborts unless out is clean UTF-8 (a character may be held over). */
static void check_clean(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (len == 0 || i + len > n)
			abort();
		if (len == 1 && ((c < 0x20 && c != '\n') || c == 0x7f))
			abort();
		unsigned cp = len == 1 ? c : c & (0xff >> (len + 1));
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp >= 0x80 && cp <= 0x9f)
			abort();
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scrub whole, split;
	size_t cap = SCRUB_GROWTH * (size + 3) + 16;
	char *a = malloc(cap), *b = malloc(cap);
	if (!a || !b) {
		free(a);
		free(b);
		return 0;
	}
	scrub_init(&whole);
	size_t na = scrub_feed(&whole, data, size, a);
	if (na > SCRUB_GROWTH * (size + 3))
		abort();
	check_clean((const unsigned char *)a, na);
	size_t cut = size ? data[0] % (size + 1) : 0;
	scrub_init(&split);
	size_t nb = scrub_feed(&split, data, cut, b);
	nb += scrub_feed(&split, data + cut, size - cut, b + nb);
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	free(a);
	free(b);
	return 0;
}
