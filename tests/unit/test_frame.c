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
	char low[NAME_LEN_MAX + 1];
	name_lower(low, "Ann_B-2");
	CHECK(strcmp(low, "ann_b-2") == 0);
	name_lower(low, "SEVENTEEN_CHARS_X"); /* cut at NAME_LEN_MAX */
	CHECK(strcmp(low, "seventeen_chars_") == 0);
	name_lower(low, "");
	CHECK(low[0] == '\0');
}

static int shaped(int type, int flags, const char *a, const char *b,
		  size_t textlen)
{
	static char buf[FRAME_MAX], text[FRAME_TEXT_MAX];
	struct frame f;
	memset(text, 't', sizeof text);
	int n = frame_encode(buf, (uint8_t)type, (uint8_t)flags, a,
			     a ? strlen(a) : 0, b, b ? strlen(b) : 0, text,
			     textlen);
	return n > 0 && frame_decode(buf, (size_t)n, &f) == n &&
	       frame_shape_ok(&f);
}

/* Shaped, with a text of one's own (numbers: LINE_NO, SEQ, N). */
static int digits_ok(int type, const char *a, const char *b, const char *t)
{
	static char buf[FRAME_MAX];
	struct frame f;
	int n = frame_encode_str(buf, (uint8_t)type, 0, a, b, t);
	return n > 0 && frame_decode(buf, (size_t)n, &f) == n &&
	       frame_shape_ok(&f);
}

/* The shape table (natter-protocol.h): for each handler-to-broker type
 * a frame as natter-session sends it passes, and one with a field that
 * must be empty, a missing field, a text too long or a flag the type
 * does not carry is refused. */
static void shapes(void)
{
	const char *x = "x";
	CHECK(shaped(FRAME_LOGIN, 0, "ann", "lobby", 14));
	CHECK(shaped(FRAME_LOGIN, FRAME_REJOIN | 0xf0, "ann", NULL, 0));
	CHECK(shaped(FRAME_LOGIN, FRAME_ACCOUNT, "ann", NULL, 0));
	CHECK(shaped(FRAME_LOGIN, FRAME_OPERATOR, "ann", NULL, 0));
	CHECK(!shaped(FRAME_LOGIN, FRAME_FATAL, "ann", NULL, 0));
	CHECK(shaped(FRAME_LOGIN, 0, "ann", NULL, 2 * FRAME_FIELD_MAX));
	CHECK(!shaped(FRAME_LOGIN, 0, "ann", NULL, 2 * FRAME_FIELD_MAX + 1));
	/* version 3: SAY and ME carry their line number in a */
	for (int t = FRAME_SAY; t <= FRAME_ME; t++) {
		CHECK(shaped(t, 0, "12", NULL, SAY_TEXT_MAX));
		CHECK(!shaped(t, 0, "12", NULL, SAY_TEXT_MAX + 1));
		CHECK(shaped(t, 0, "1", NULL, 0));
		CHECK(!shaped(t, 0, NULL, NULL, 1));
		CHECK(!shaped(t, 0, x, NULL, 1));
		CHECK(!shaped(t, 0, "123456789012345678901", NULL, 1));
		CHECK(!shaped(t, 0, "1", x, 1));
		CHECK(!shaped(t, FRAME_REJOIN, "1", NULL, 1));
	}
	CHECK(shaped(FRAME_PRIV, 0, "bob", "7", 5));
	CHECK(!shaped(FRAME_PRIV, 0, "bob", NULL, 5));
	CHECK(!shaped(FRAME_PRIV, 0, NULL, "7", 5));
	CHECK(!shaped(FRAME_PRIV, 0, "bob", x, 5));
	CHECK(digits_ok(FRAME_JOIN, NULL, "room", "20"));
	CHECK(digits_ok(FRAME_HISTORY, NULL, NULL, "500"));
	CHECK(!digits_ok(FRAME_HISTORY, NULL, NULL, "-1"));
	CHECK(!digits_ok(FRAME_HISTORY, "1", NULL, "5"));
	CHECK(shaped(FRAME_JOIN, 0, NULL, "room", 0));
	CHECK(!shaped(FRAME_JOIN, 0, NULL, NULL, 0));
	CHECK(!shaped(FRAME_JOIN, 0, x, "room", 0));
	CHECK(!shaped(FRAME_JOIN, 0, NULL, "room", 1));
	for (int t = FRAME_WHO; t <= FRAME_ROOMS; t++) {
		CHECK(shaped(t, 0, NULL, NULL, 0));
		CHECK(!shaped(t, 0, x, NULL, 0));
		CHECK(!shaped(t, 0, NULL, x, 0));
		CHECK(!shaped(t, 0, NULL, NULL, 1));
		CHECK(!shaped(t, FRAME_LAST, NULL, NULL, 0));
	}
	/* Broker to handler, as the broker sends them. */
	CHECK(shaped(FRAME_OK, FRAME_MARKS_LAST | FRAME_LAST | 0x20, "ann",
		     "lobby", 0));
	CHECK(shaped(FRAME_ERR, FRAME_LAST | FRAME_FATAL | 0x20, NULL, NULL,
		     40));
	CHECK(shaped(FRAME_MSG, 0, "ann", "lobby", 2));
	CHECK(!shaped(FRAME_MSG, 0, NULL, "lobby", 2));
	CHECK(shaped(FRAME_PRIVATE, 0, "ann", NULL, 2));
	CHECK(shaped(FRAME_JOINED, 0, "ann", "lobby", 0));
	CHECK(shaped(FRAME_JOINED, 0, "ann", "lobby", 3)); /* the old room */
	CHECK(!shaped(FRAME_JOINED, 0, "ann", "lobby", FRAME_FIELD_MAX + 1));
	CHECK(shaped(FRAME_LINE, FRAME_REPLAY | FRAME_LAST, "ann", "lobby",
		     FRAME_TEXT_MAX));
	CHECK(!shaped(FRAME_LINE, FRAME_FATAL, "ann", "lobby", 5));
	CHECK(digits_ok(FRAME_ACK, "3", NULL, "77"));
	CHECK(!digits_ok(FRAME_ACK, "3", NULL, "x"));
	CHECK(digits_ok(FRAME_LIVE, NULL, "lobby", "0"));
	CHECK(!digits_ok(FRAME_LIVE, NULL, NULL, "0"));
	CHECK(shaped(FRAME_LEFT, 0, "ann", "lobby", 5));
	CHECK(shaped(FRAME_INFO, FRAME_LAST, NULL, NULL, 9));
	CHECK(!shaped(FRAME_INFO, FRAME_FATAL, NULL, NULL, 9));
	CHECK(shaped(FRAME_KICK, 0, NULL, NULL, 9));
}

/* The version nibble: 0 is the unversioned version 1. */
static void versions(void)
{
	CHECK(NATTER_PROTOCOL_OF(0) == 1);
	CHECK(NATTER_PROTOCOL_OF(FRAME_REJOIN) == 1);
	CHECK(NATTER_PROTOCOL_OF(NATTER_PROTOCOL_FLAGS(2) | FRAME_REJOIN) == 2);
	CHECK(NATTER_PROTOCOL_OF(0xf0 | FRAME_LAST) == 15);
	CHECK((NATTER_PROTOCOL_FLAGS(15) & ~FRAME_VERSION_MASK) == 0);
	CHECK(((FRAME_REJOIN | FRAME_LAST | FRAME_MARKS_LAST | FRAME_FATAL) &
	       FRAME_VERSION_MASK) == 0);
	CHECK(NATTER_PROTOCOL_OLDEST <= NATTER_PROTOCOL_VERSION &&
	      NATTER_PROTOCOL_VERSION < 16);
}

int main(void)
{
	roundtrip();
	bad_frames();
	flags_kept();
	names();
	shapes();
	versions();
	return UNIT_DONE();
}
