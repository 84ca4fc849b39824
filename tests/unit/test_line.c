/* test_line.c — the line assembler: every line end, the length cap. */
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

int main(void)
{
	line_ends();
	too_long();
	return UNIT_DONE();
}
