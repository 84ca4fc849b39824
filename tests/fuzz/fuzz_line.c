/* fuzz_line.c — libFuzzer harness for natter-session's reading of the
 * room log's frames (version 3): LINE's "SEQ TIME_MS KIND TEXT"
 * (handler/text.c: text_line_seq, text_display, replayed or live) and
 * whatever else comes from the broker.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_line -max_total_time=60
 *
 * What must hold: each frame decoded from the input displays as at most
 * TEXT_LINE_MAX bytes, ending in CR LF, with no other control byte
 * (C0, DEL) before it, for the flags it came with and with
 * FRAME_REPLAY added. */
#include "../../handler/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void shown_clean(const struct frame *f)
{
	static char out[TEXT_LINE_MAX];
	size_t n = text_display(f, "ann", out, sizeof out);
	if (n == 0)
		return;
	if (n >= sizeof out || n < 2 || out[n - 2] != '\r' ||
	    out[n - 1] != '\n')
		abort();
	for (size_t i = 0; i + 2 < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct frame f;
	size_t at = 0;
	for (;;) {
		int n = frame_decode(buf + at, size - at, &f);
		if (n <= 0)
			break;
		(void)text_line_seq(&f);
		shown_clean(&f);
		f.flags |= FRAME_REPLAY;
		shown_clean(&f);
		at += (size_t)n;
	}
	return 0;
}
