/* test_text.c — sanitising and the formats people see. */
#include "../../handler/text.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int cleans_to(const char *in, size_t n, const char *want)
{
	char out[TEXT_CLEAN_MAX(64)];
	size_t len = text_clean(in, n, out, sizeof out);
	return len == strlen(want) && !strcmp(out, want);
}

/* Every invisible character unicode.h lists goes, its neighbours
 * stay; the zero-width joiner stays only inside an emoji sequence. */
static void invisible(void)
{
	static const char *const gone[] = {
		"\xc2\xad",         /* U+00AD soft hyphen */
		"\xcd\x8f",         /* U+034F combining grapheme joiner */
		"\xd8\x9c",         /* U+061C Arabic letter mark */
		"\xe1\x9e\xb4",     /* U+17B4 Khmer inherent vowel */
		"\xe1\xa0\x8e",     /* U+180E Mongolian vowel separator */
		"\xe2\x80\x8b",     /* U+200B zero-width space */
		"\xe2\x80\x8c",     /* U+200C zero-width non-joiner */
		"\xe2\x80\x8e",     /* U+200E left-to-right mark */
		"\xe2\x80\x8f",     /* U+200F right-to-left mark */
		"\xe2\x80\xa8",     /* U+2028 line separator */
		"\xe2\x81\xa0",     /* U+2060 word joiner */
		"\xe2\x81\xa3",     /* U+2063 invisible separator */
		"\xe2\x81\xaf",     /* U+206F nominal digit shapes */
		"\xe3\x85\xa4",     /* U+3164 Hangul filler */
		"\xef\xbb\xbf",     /* U+FEFF byte order mark */
		"\xef\xbe\xa0",     /* U+FFA0 halfwidth Hangul filler */
		"\xef\xbf\xb9",     /* U+FFF9 interlinear annotation */
		"\xf0\x9d\x85\xb3", /* U+1D173 musical format */
		"\xf3\xa0\x80\x81", /* U+E0001 language tag */
		"\xf3\xa0\x81\xbf", /* U+E007F cancel tag */
		"\xe2\x80\x8d",     /* U+200D joiner, alone */
	};
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		char in[32];
		size_t n = (size_t)snprintf(in, sizeof in, "a%sb", gone[i]);
		CHECK(cleans_to(in, n, "ab"));
	}
	/* Korean stays whole */
	CHECK(cleans_to("\xec\x95\x88\xeb\x85\x95", 6,
			"\xec\x95\x88\xeb\x85\x95"));
	/* a family: man ZWJ woman ZWJ girl keeps its joiners */
	const char *family = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"
			     "\xe2\x80\x8d\xf0\x9f\x91\xa7";
	CHECK(cleans_to(family, strlen(family), family));
	/* heart on fire: U+2764 VS16 ZWJ U+1F525, joined across the VS16 */
	const char *fire = "\xe2\x9d\xa4\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x94\xa5";
	CHECK(cleans_to(fire, strlen(fire), fire));
	/* a joiner between letters, or after an emoji before a letter, or
	 * after a zero-width space: gone */
	CHECK(cleans_to("a\xe2\x80\x8d" "b", 5, "ab"));
	CHECK(cleans_to("\xf0\x9f\x98\x80\xe2\x80\x8dx", 8,
			"\xf0\x9f\x98\x80x"));
	CHECK(cleans_to("\xf0\x9f\x98\x80\xe2\x80\x8b\xe2\x80\x8d"
			"\xf0\x9f\x98\x80", 14,
			"\xf0\x9f\x98\x80\xf0\x9f\x98\x80"));
	CHECK(cleans_to("\xf0\x9f\x98\x80\xe2\x80\x8d", 7,
			"\xf0\x9f\x98\x80")); /* at the end */
	/* a line cut after a joiner drops the joiner too (found by
	 * fuzz_text): 4 + 3 bytes fit, the emoji after them does not */
	char cut[9];
	CHECK(text_clean(family, strlen(family), cut, sizeof cut) == 4 &&
	      !memcmp(cut, family, 4));
}

static void cleaning(void)
{
	CHECK(cleans_to("hello", 5, "hello"));
	CHECK(cleans_to("a\tb", 3, "a b"));
	CHECK(cleans_to("a\033[31mred", 10, "a[31mred"));
	CHECK(cleans_to("x\0y\x7fz\r", 6, "xyz"));
	CHECK(cleans_to("\xc2\x9b" "1m\xc2\x85", 6, "1m"));     /* C1 */
	/* bidi overrides and isolates go; their neighbours stay */
	CHECK(cleans_to("a\xe2\x80\xae" "b\xe2\x81\xa6" "c", 9, "abc"));
	CHECK(cleans_to("\xe2\x80\xaa\xe2\x81\xa9", 6, ""));
	/* U+2029 paragraph separator, U+2065 (unassigned, among the
	 * invisible operators): both go */
	CHECK(cleans_to("\xe2\x80\xa9\xe2\x81\xa5", 6, ""));
	/* U+2030 per mille and U+205F medium space: the neighbours stay */
	CHECK(cleans_to("\xe2\x80\xb0\xe2\x81\x9f", 6,
			"\xe2\x80\xb0\xe2\x81\x9f"));
	CHECK(cleans_to("caf\xc3\xa9", 5, "caf\xc3\xa9"));      /* é */
	CHECK(cleans_to("\xc2\xa0", 2, "\xc2\xa0"));            /* NBSP kept */
	CHECK(cleans_to("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"));
	CHECK(cleans_to("\xff", 1, "\xef\xbf\xbd"));
	CHECK(cleans_to("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd")); /* overlong */
	CHECK(cleans_to("\xed\xa0\x80", 3,
			"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")); /* surrogate */
	CHECK(cleans_to("\xe2\x82", 2, "\xef\xbf\xbd"));       /* truncated */
	CHECK(cleans_to("\xe2\x82x", 3, "\xef\xbf\xbdx"));
	CHECK(cleans_to("\xf4\x90\x80\x80", 4,
			"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	/* worst case expansion fits the documented bound */
	char bad[1024], out[TEXT_CLEAN_MAX(1024)];
	memset(bad, 0xff, sizeof bad);
	CHECK(text_clean(bad, sizeof bad, out, sizeof out) == 3072);
	CHECK(3072 <= FRAME_TEXT_MAX);
	/* a small buffer stops at a character boundary */
	char small[5];
	CHECK(text_clean("ab\xc3\xa9\xc3\xa9", 6, small, sizeof small) == 4);
	CHECK(!strcmp(small, "ab\xc3\xa9"));
	/* and within a run of plain text, at the last byte that fits */
	CHECK(text_clean("abcdefgh", 8, small, sizeof small) == 4);
	CHECK(!strcmp(small, "abcd"));
	CHECK(text_clean("a\tbcdefgh", 9, small, sizeof small) == 4);
	CHECK(!strcmp(small, "a bc"));
	char one[1];
	CHECK(text_clean("abc", 3, one, sizeof one) == 0 && one[0] == '\0');
	/* plain text around everything that is not, in one line */
	CHECK(cleans_to("hi \033[2J\xc3\xa9 there\x7f!", 17,
			"hi [2J\xc3\xa9 there!"));
}

static int shows(int type, const char *a, const char *text, const char *self,
		 const char *want)
{
	char buf[FRAME_MAX], out[TEXT_LINE_MAX];
	struct frame f;
	int n = frame_encode_str(buf, (uint8_t)type, 0, a, "lobby", text);
	if (n < 0 || frame_decode(buf, (size_t)n, &f) != n)
		return 0;
	size_t len = text_display(&f, self, out, sizeof out);
	if (!want)
		return len == 0;
	return len == strlen(want) && !memcmp(out, want, len);
}

static void formats(void)
{
	CHECK(shows(FRAME_MSG, "bob", "hello", "ann", "[bob] : hello\r\n"));
	CHECK(shows(FRAME_MSG, "ann", "hello", "ann", NULL));
	CHECK(shows(FRAME_ACTION, "bob", "waves", "ann", "* bob waves\r\n"));
	CHECK(shows(FRAME_PRIVATE, "bob", "psst", "ann",
		    "[bob] (private) : psst\r\n"));
	CHECK(shows(FRAME_JOINED, "bob", NULL, "ann",
		    "[bob] has joined the chat\r\n"));
	CHECK(shows(FRAME_LEFT, "bob", NULL, "ann",
		    "[bob] has left the chat\r\n"));
	CHECK(shows(FRAME_LEFT, "bob", "x", "ann",
		    "[bob] has moved to room x\r\n"));
	CHECK(shows(FRAME_INFO, NULL, "You are alone in lobby.", "ann",
		    "*** You are alone in lobby.\r\n"));
	CHECK(shows(FRAME_OK, NULL, NULL, "ann", NULL));
	/* a C1 control from the broker is still removed on display */
	CHECK(shows(FRAME_MSG, "bob", "a\xc2\x9b" "b", "ann", "[bob] : ab\r\n"));
	char out[64];
	CHECK(text_notice("Reconnected.", out, sizeof out) == 18 &&
	      !strcmp(out, "*** Reconnected.\r\n"));
}

/* A LINE frame (version 3), live or replayed (flags). */
static int shows_line(int flags, const char *text, const char *self,
		      const char *want)
{
	char buf[FRAME_MAX], out[TEXT_LINE_MAX];
	struct frame f;
	int n = frame_encode_str(buf, FRAME_LINE, (uint8_t)flags, "bob",
				 "lobby", text);
	if (n < 0 || frame_decode(buf, (size_t)n, &f) != n)
		return 0;
	size_t len = text_display(&f, self, out, sizeof out);
	if (!want)
		return len == 0;
	return len == strlen(want) && !memcmp(out, want, len);
}

/* Live lines as MSG and ACTION were; replayed ones after their time
 * (local: "HH:MM " today, with the date otherwise), sanitised alike. */
static void lines(void)
{
	char want[96], when[40];
	long long now = (long long)time(NULL), ms = now * 1000;
	CHECK(shows_line(0, "7 0 say hello", "ann", "[bob] : hello\r\n"));
	CHECK(shows_line(0, "7 0 me waves", "ann", "* bob waves\r\n"));
	CHECK(shows_line(0, "7 0 say hello", "bob", NULL));
	CHECK(shows_line(0, "7 0 shout hello", "ann", NULL));
	CHECK(shows_line(0, "x 0 say hello", "ann", NULL));
	CHECK(shows_line(0, "7 0 say a\xc2\x9b" "b", "ann",
			 "[bob] : ab\r\n"));   /* C1 removed, as live */
	CHECK(text_when(ms, now, when, sizeof when) == 6 && when[2] == ':');
	snprintf(want, sizeof want, "%s[bob] : hi\r\n", when);
	char text[64];
	snprintf(text, sizeof text, "9 %lld say hi", ms);
	CHECK(shows_line(FRAME_REPLAY, text, "bob", want)); /* own: shown */
	snprintf(text, sizeof text, "9 %lld me nods", ms);
	snprintf(want, sizeof want, "%s* bob nods\r\n", when);
	CHECK(shows_line(FRAME_REPLAY, text, "ann", want));
	/* a day before: with the date */
	CHECK(text_when(ms - 86400000LL * 2, now, when, sizeof when) == 17 &&
	      when[4] == '-' && when[13] == ':');
	CHECK(shows(FRAME_JOINED, "bob", "dev", "ann",
		    "[bob] has come in from room dev\r\n"));
}

/* A notice cut for room is cut between characters, with its CR LF. */
static void cut_notices(void)
{
	char out[16];
	size_t n = text_notice("abcdefgh\xc3\xa9", out, sizeof out);
	CHECK(n == 14 && memcmp(out, "*** abcdefgh\r\n", 15) == 0);
	n = text_notice("abcdefg\xc3\xa9", out, sizeof out);
	CHECK(n == 15 && memcmp(out, "*** abcdefg\xc3\xa9\r\n", 16) == 0);
	CHECK(text_notice("x", out, 2) == 0);
}

int main(void)
{
	invisible();
	cut_notices();
	cleaning();
	formats();
	lines();
	return UNIT_DONE();
}
