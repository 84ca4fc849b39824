/* test_frame.c — the broker protocol's encoder and decoder. */
#include "frame.h"
#include "names.h"
#include "unit.h"

#include <string.h>

static void roundtrip(void)
{
	char buf[FRAME_MAX];
	struct frame f;
	int n = frame_encode_str(buf, FRAME_MSG, 0, "ann", "lobby", "hi there");
	CHECK(n == FRAME_HDR + 2 + 3 + 5 + 8);
	CHECK(frame_decode(buf, (size_t)n, &f) == n);
	CHECK(f.type == FRAME_MSG && f.alen == 3 && !memcmp(f.a, "ann", 3));
	CHECK(f.blen == 5 && !memcmp(f.b, "lobby", 5));
	CHECK(f.textlen == 8 && !memcmp(f.text, "hi there", 8));
	/* Every proper prefix asks for more. */
	int prefix_ok = 1;
	for (int i = 0; i < n; i++)
		if (frame_decode(buf, (size_t)i, &f) != FRAME_NEED_MORE)
			prefix_ok = 0;
	CHECK(prefix_ok);
}

static void bad_frames(void)
{
	char buf[FRAME_MAX];
	struct frame f;
	int n = frame_encode_str(buf, FRAME_SAY, 0, NULL, NULL, "x");
	buf[2] = 99; /* unknown type */
	CHECK(frame_decode(buf, (size_t)n, &f) == FRAME_BAD);
	n = frame_encode_str(buf, FRAME_SAY, 0, NULL, NULL, "a\033b");
	CHECK(frame_decode(buf, (size_t)n, &f) == FRAME_BAD);
	n = frame_encode_str(buf, FRAME_SAY, 0, NULL, NULL, "ok");
	buf[4] = 60; /* field a claims more than the payload holds */
	CHECK(frame_decode(buf, (size_t)n, &f) == FRAME_BAD);
	buf[0] = (char)0xff; /* length past the maximum */
	CHECK(frame_decode(buf, (size_t)n, &f) == FRAME_BAD);
	char big[FRAME_TEXT_MAX + 1];
	memset(big, 'x', sizeof big);
	CHECK(frame_encode(buf, FRAME_SAY, 0, NULL, 0, NULL, 0, big,
			   sizeof big) == -1);
	CHECK(frame_encode(buf, FRAME_SAY, 0, NULL, 0, NULL, 0, big,
			   FRAME_TEXT_MAX) == FRAME_MAX - 2 * FRAME_FIELD_MAX);
}

/* Flags travel untouched: the reply marks (FRAME_LAST,
 * FRAME_MARKS_LAST) ride on existing frame types, and a decoder that
 * knows none of them still takes the frame. */
static void flags_kept(void)
{
	char buf[FRAME_MAX];
	struct frame f;
	uint8_t flags = FRAME_LAST | FRAME_MARKS_LAST | 0x80;
	int n = frame_encode_str(buf, FRAME_OK, flags, "bob", NULL, "psst");
	CHECK(n > 0 && frame_decode(buf, (size_t)n, &f) == n);
	CHECK(f.type == FRAME_OK && f.flags == flags);
	CHECK(f.alen == 3 && f.blen == 0 && f.textlen == 4);
	CHECK((FRAME_REJOIN & (FRAME_LAST | FRAME_MARKS_LAST)) == 0);
	CHECK((FRAME_LAST & FRAME_MARKS_LAST) == 0);
}

static void names(void)
{
	CHECK(name_valid("ann_b-2", 7));
	CHECK(!name_valid("", 0));
	CHECK(!name_valid("a b", 3));
	CHECK(!name_valid("seventeen_chars_x", 17));
	CHECK(name_valid("sixteen_chars_xx", 16));
	CHECK(!room_valid("r\xc3\xa9", 3));
}

int main(void)
{
	roundtrip();
	bad_frames();
	flags_kept();
	names();
	return UNIT_DONE();
}
