/* fuzz_text.c — libFuzzer harness for the last step of what one person
 * sends before it reaches another's screen: text_clean (handler/text.c).
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_text -max_total_time=60
 *
 * What must hold: the output is valid UTF-8 with no C0, DEL, C1 or
 * invisible character (unicode.h), no zero-width joiner but between two
 * emoji; it is within TEXT_CLEAN_MAX; and cleaning it again changes
 * nothing (what the broker relays and the receiver cleans again shows
 * the same).  The first byte picks a small output size, to reach the
 * cut at a character boundary. */
#include "../../handler/text.h"
#include "../../handler/unicode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t next_cp(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0];
	*len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
	     : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (*len == 0 || *len > n)
		abort();
	uint32_t cp = *len == 1 ? c : c & (0xffu >> (*len + 1));
	for (size_t k = 1; k < *len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			abort();
		cp = cp << 6 | (s[k] & 0x3fu);
	}
	return cp;
}

static void check(const unsigned char *s, size_t n)
{
	uint32_t prev = 0;
	for (size_t i = 0, len; i < n; i += len) {
		uint32_t cp = next_cp(s + i, n - i, &len);
		if (cp < 0x20 || cp == 0x7f || unicode_invisible(cp))
			abort();
		if (cp == UNICODE_ZWJ) {
			size_t l2;
			if (i + len >= n || !unicode_emoji(next_cp(s + i + len,
						     n - i - len, &l2)))
				abort();
			if (!unicode_emoji(prev) && !unicode_emoji_modifier(prev))
				abort();
		}
		prev = cp;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = TEXT_CLEAN_MAX(size);
	if (size > 0 && data[0] < 32)
		cap = data[0]; /* a small buffer: the cut */
	char *a = malloc(cap + 1), *b = malloc(TEXT_CLEAN_MAX(cap) + 1);
	if (!a || !b)
		abort();
	size_t na = text_clean((const char *)data, size, a, cap);
	if (cap > 0 && (na >= cap || a[na] != '\0'))
		abort();
	check((const unsigned char *)a, na);
	size_t nb = text_clean(a, na, b, TEXT_CLEAN_MAX(na));
	if (nb != na || memcmp(a, b, na) != 0)
		abort();
	free(a);
	free(b);
	return 0;
}
