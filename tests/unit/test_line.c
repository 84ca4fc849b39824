/* test_line.c — the line discipline: every line end, the length cap,
 * erasing, and the question after ^C. */
#include "../../handler/line.h"
#include "unit.h"

#include <string.h>

/* Feeds s; returns how many lines completed, the last one in last. */
static int feed(struct line *l, const char *s, size_t n, char *last,
		int *toolong)
{
	int lines = 0;
	*toolong = 0;
	for (size_t i = 0; i < n; i++) {
		enum line_event e = line_feed(l, (unsigned char)s[i]);
		if (e == LINE_READY) {
			lines++;
			memcpy(last, l->buf, l->len + 1);
		} else if (e == LINE_TOO_LONG) {
			(*toolong)++;
		}
	}
	return lines;
}

static void line_ends(void)
{
	struct line l;
	char last[LINE_MAX_BYTES + 1];
	int tl;
	line_init(&l);
	CHECK(feed(&l, "ab\n", 3, last, &tl) == 1 && !strcmp(last, "ab"));
	CHECK(feed(&l, "cd\r\n", 4, last, &tl) == 1 && !strcmp(last, "cd"));
	CHECK(feed(&l, "ef\r\0gh\r", 8, last, &tl) == 2 && !strcmp(last, "gh"));
	/* bare CR then text: the CR ended the line, the text is a new one */
	CHECK(feed(&l, "ij\n", 3, last, &tl) == 1 && !strcmp(last, "ij"));
	/* CR LF split across reads still counts once */
	CHECK(feed(&l, "kl\r", 3, last, &tl) == 1);
	CHECK(feed(&l, "\n", 1, last, &tl) == 0);
	/* two LFs are two lines, the second empty */
	CHECK(feed(&l, "\n\n", 2, last, &tl) == 2 && !strcmp(last, ""));
	/* CR CR: two line ends */
	CHECK(feed(&l, "\r\r", 2, last, &tl) == 2);
}

static void too_long(void)
{
	static char big[3000];
	struct line l;
	char last[LINE_MAX_BYTES + 1];
	int tl;
	line_init(&l);
	memset(big, 'x', sizeof big);
	/* exactly the limit is fine */
	CHECK(feed(&l, big, LINE_MAX_BYTES, last, &tl) == 0 && tl == 0);
	CHECK(feed(&l, "\n", 1, last, &tl) == 1 &&
	      strlen(last) == LINE_MAX_BYTES);
	/* one more byte is refused once; the rest is discarded */
	CHECK(feed(&l, big, sizeof big, last, &tl) == 0 && tl == 1);
	CHECK(feed(&l, big, sizeof big, last, &tl) == 0 && tl == 0);
	CHECK(feed(&l, "tail\r\n", 6, last, &tl) == 0);
	CHECK(feed(&l, "next\n", 5, last, &tl) == 1 && !strcmp(last, "next"));
	/* a too-long line that ends in bare CR, then LF ignored */
	CHECK(feed(&l, big, LINE_MAX_BYTES + 1, last, &tl) == 0 && tl == 1);
	CHECK(feed(&l, "\r\nok\n", 5, last, &tl) == 1 && !strcmp(last, "ok"));
}

/* Feeds s and returns the one line it ends, "" if none, into last. */
static const char *typed(struct line *l, const char *s, size_t n)
{
	static char last[LINE_MAX_BYTES + 1];
	int tl;
	strcpy(last, "(none)");
	feed(l, s, n, last, &tl);
	return last;
}

#define TYPED(l, lit) typed(l, lit, sizeof lit - 1)

static void erasing(void)
{
	struct line l;
	line_init(&l);
	CHECK(!strcmp(TYPED(&l, "abcX\x7f" "d\n"), "abcd"));
	CHECK(!strcmp(TYPED(&l, "abcX\b" "d\n"), "abcd"));
	/* a whole UTF-8 character: 2, 3 and 4 bytes */
	CHECK(!strcmp(TYPED(&l, "caf\xc3\xa9\x7f" "e\n"), "cafe"));
	CHECK(!strcmp(TYPED(&l, "\xed\x95\x9c\xea\xb8\x80\x7f!\n"),
		      "\xed\x95\x9c!"));
	CHECK(!strcmp(TYPED(&l, "a\xf0\x9f\x98\x80\x7f" "b\n"), "ab"));
	/* half a character then DEL: the partial bytes go */
	CHECK(!strcmp(TYPED(&l, "a\xed\x95\x7f" "b\n"), "ab"));
	CHECK(!strcmp(TYPED(&l, "a\xf0\x9f\x7f" "b\n"), "ab"));
	CHECK(!strcmp(TYPED(&l, "a\xed\x7f" "b\n"), "ab"));
	/* stray continuation bytes go one at a time */
	CHECK(!strcmp(TYPED(&l, "a\x80\x80\x7f\n"), "a\x80"));
	CHECK(!strcmp(TYPED(&l, "\xc3\xa9\xa9\x7f\n"), "\xc3\xa9"));
	CHECK(!strcmp(TYPED(&l, "\x80\x80\x80\x80\x80\x7f\n"),
		      "\x80\x80\x80\x80"));
	/* past the start: nothing more to erase, nothing breaks */
	CHECK(!strcmp(TYPED(&l, "x\x7f\x7f\x7f" "y\n"), "y"));
	CHECK(!strcmp(TYPED(&l, "\x7f\b\n"), ""));
	/* telnet's EC and EL */
	int tl;
	char last[LINE_MAX_BYTES + 1];
	feed(&l, "ab\xc3\xa9", 4, last, &tl);
	CHECK(line_feed(&l, LINE_KEY_ERASE) == LINE_NONE);
	CHECK(!strcmp(TYPED(&l, "c\n"), "abc"));
	feed(&l, "junk", 4, last, &tl);
	CHECK(line_feed(&l, LINE_KEY_KILL) == LINE_NONE);
	CHECK(!strcmp(TYPED(&l, "real\n"), "real"));
}

/* LINE_MAX_BYTES still bounds a line that is edited. */
static void erasing_within_the_bound(void)
{
	static char big[LINE_MAX_BYTES];
	struct line l;
	char last[LINE_MAX_BYTES + 1];
	int tl;
	memset(big, 'x', sizeof big);
	line_init(&l);
	feed(&l, big, sizeof big, last, &tl);
	CHECK(tl == 0);
	/* full; one erased makes room for exactly one more */
	CHECK(line_feed(&l, 0x7f) == LINE_NONE);
	CHECK(line_feed(&l, 'y') == LINE_NONE);
	CHECK(line_feed(&l, 'z') == LINE_TOO_LONG);
	/* discarding: an erase does not bring the line back */
	CHECK(line_feed(&l, 0x7f) == LINE_NONE);
	CHECK(line_feed(&l, 'q') == LINE_NONE && l.len == 0);
	CHECK(!strcmp(TYPED(&l, "\n"), "(none)"));
	/* EL ends the discarding: what follows is a new line */
	feed(&l, big, sizeof big, last, &tl);
	CHECK(line_feed(&l, 'z') == LINE_TOO_LONG);
	CHECK(line_feed(&l, LINE_KEY_KILL) == LINE_NONE);
	CHECK(!strcmp(TYPED(&l, "fresh\n"), "fresh"));
}

static void interrupt(void)
{
	struct line l;
	char last[LINE_MAX_BYTES + 1];
	int tl;
	line_init(&l);
	CHECK(line_question_due(&l) == 0);
	feed(&l, "half typed", 10, last, &tl);
	CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_INTERRUPT);
	CHECK(l.len == 0);
	CHECK(line_question_due(&l) == 1 && line_question_due(&l) == 0);
	/* anything but yes: stays, the answer is no line */
	CHECK(!strcmp(TYPED(&l, "n\n"), "(none)"));
	CHECK(!strcmp(TYPED(&l, "after\n"), "after"));
	const char *yes[] = { "y", "Y", "yes", " YeS ", NULL };
	for (int i = 0; yes[i]; i++) {
		CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_INTERRUPT);
		feed(&l, yes[i], strlen(yes[i]), last, &tl);
		CHECK(line_feed(&l, '\r') == LINE_LEAVE);
		CHECK(line_feed(&l, '\n') == LINE_NONE);
	}
	const char *no[] = { "", "yeah", "no", "yes please", "/exit", NULL };
	for (int i = 0; no[i]; i++) {
		CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_INTERRUPT);
		feed(&l, no[i], strlen(no[i]), last, &tl);
		CHECK(line_feed(&l, '\n') == LINE_NONE);
	}
	/* ^C twice leaves */
	CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_INTERRUPT);
	CHECK(line_feed(&l, 'y') == LINE_NONE);
	CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_LEAVE);
	CHECK(!strcmp(TYPED(&l, "y\n"), "y")); /* asked no more */
	/* a too-long answer is a no, and the next line is a line */
	static char big[LINE_MAX_BYTES + 10];
	memset(big, 'y', sizeof big);
	CHECK(line_feed(&l, LINE_KEY_INTERRUPT) == LINE_INTERRUPT);
	feed(&l, big, sizeof big, last, &tl);
	CHECK(tl == 1 && line_feed(&l, '\n') == LINE_NONE);
	CHECK(!strcmp(TYPED(&l, "next\n"), "next"));
}

int main(void)
{
	line_ends();
	too_long();
	erasing();
	erasing_within_the_bound();
	interrupt();
	return UNIT_DONE();
}
