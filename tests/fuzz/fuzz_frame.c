/* fuzz_frame.c — libFuzzer harness for the frame decoder (lib/frame.c),
 * the parser of every byte a handler or the broker gets from the other.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_frame -max_total_time=60
 *
 * What must hold: frames are decoded one after another from the input
 * as the broker does; a frame that decodes re-encodes to exactly the
 * bytes it was decoded from; no field of a decoded frame holds a
 * control byte; a decoder given a prefix of a frame asks for more. */
#include "frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void no_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char out[FRAME_MAX];
	struct frame f;
	size_t at = 0;
	for (;;) {
		int n = frame_decode(buf + at, size - at, &f);
		if (n <= 0)
			break;
		if ((size_t)n > FRAME_MAX)
			abort();
		no_controls(f.a, f.alen);
		no_controls(f.b, f.blen);
		no_controls(f.text, f.textlen);
		int m = frame_encode(out, f.type, f.flags, f.a, f.alen, f.b,
				     f.blen, f.text, f.textlen);
		if (m != n || memcmp(out, buf + at, (size_t)n) != 0)
			abort();
		for (int cut = 0; cut < n; cut += 1 + n / 7)
			if (frame_decode(buf + at, (size_t)cut, &f) !=
			    FRAME_NEED_MORE)
				abort();
		at += (size_t)n;
	}
	return 0;
}
