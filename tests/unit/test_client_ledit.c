/* test_client_ledit.c — natter's line editor: keys, history, UTF-8
 * cursor movement and the one-row drawing. */
#include "../../client/ledit.h"
#include "unit.h"

#include <string.h>

static enum ledit_action keys(struct ledit *e, const char *k)
{
	enum ledit_action last = LEDIT_NONE;
	for (; *k; k++)
		last = ledit_key(e, (unsigned char)*k);
	return last;
}

static int line_is(const struct ledit *e, const char *want)
{
	size_t n;
	const char *l = ledit_line(e, &n);
	return n == strlen(want) && !memcmp(l, want, n);
}

static void editing(void)
{
	struct ledit e;
	ledit_init(&e);
	CHECK(keys(&e, "helo") == LEDIT_REDRAW && line_is(&e, "helo"));
	keys(&e, "\033[D"); /* left */
	keys(&e, "l");
	CHECK(line_is(&e, "hello") && e.cur == 4);
	keys(&e, "\033[F world"); /* End */
	CHECK(line_is(&e, "hello world"));
	keys(&e, "\x17"); /* ^W */
	CHECK(line_is(&e, "hello "));
	keys(&e, "\x7f\x7f"); /* backspace */
	CHECK(line_is(&e, "hell"));
	keys(&e, "\x01x"); /* ^A */
	CHECK(line_is(&e, "xhell") && e.cur == 1);
	keys(&e, "\x0b"); /* ^K */
	CHECK(line_is(&e, "x"));
	keys(&e, "yz\033[D\x15"); /* ^U deletes before the cursor */
	CHECK(line_is(&e, "z") && e.cur == 0);
	CHECK(ledit_key(&e, 0x04) == LEDIT_REDRAW && line_is(&e, "")); /* ^D */
	CHECK(ledit_key(&e, 0x04) == LEDIT_EOF);
	CHECK(ledit_key(&e, 0x7f) == LEDIT_BELL);
	/* Enter: CR, LF and CRLF each submit once. */
	CHECK(keys(&e, "a\r") == LEDIT_SUBMIT);
	CHECK(ledit_key(&e, '\n') == LEDIT_NONE);
	CHECK(ledit_key(&e, '\n') == LEDIT_SUBMIT);
	ledit_free(&e);
}

static void utf8_cursor(void)
{
	struct ledit e;
	ledit_init(&e);
	keys(&e, "a\xc3\xa9\xe4\xb8\xad"); /* a é 中 */
	CHECK(e.len == 6 && e.cur == 6);
	keys(&e, "\033[D");
	CHECK(e.cur == 3);
	keys(&e, "\033[D");
	CHECK(e.cur == 1);
	keys(&e, "\033[C\x7f"); /* right, backspace: é goes whole */
	CHECK(line_is(&e, "a\xe4\xb8\xad") && e.cur == 1);
	keys(&e, "\033[3~"); /* Delete: 中 goes whole */
	CHECK(line_is(&e, "a"));
	keys(&e, "\xe4" "b"); /* a character cut short is dropped */
	CHECK(line_is(&e, "ab"));
	/* A character and its combining marks move and go as one. */
	keys(&e, "\x15\x0b" "e\xcc\x81\xcc\x88x");
	keys(&e, "\033[D\033[D");
	CHECK(e.cur == 0);
	keys(&e, "\033[C");
	CHECK(e.cur == 5);
	keys(&e, "\x7f");
	CHECK(line_is(&e, "x") && e.cur == 0);
	keys(&e, "e\xcc\x81\x01\033[3~");
	CHECK(line_is(&e, "x"));
	/* A pasted tab keeps words apart: it becomes a space. */
	keys(&e, "\x05\ty");
	CHECK(line_is(&e, "x y"));
	ledit_free(&e);
}

static void history(void)
{
	struct ledit e;
	ledit_init(&e);
	keys(&e, "one");
	ledit_accept(&e, 1);
	keys(&e, "secret");
	ledit_accept(&e, 0); /* a hidden line is never remembered */
	CHECK(memchr(e.buf, 's', sizeof e.buf) == NULL); /* and is wiped */
	keys(&e, "two");
	ledit_accept(&e, 1);
	keys(&e, "dra");
	keys(&e, "\033[A");
	CHECK(line_is(&e, "two"));
	keys(&e, "\x10"); /* ^P */
	CHECK(line_is(&e, "one"));
	CHECK(ledit_key(&e, 0x10) == LEDIT_BELL);
	keys(&e, "\033[B\033[B");
	CHECK(line_is(&e, "dra"));
	CHECK(keys(&e, "\033OB") == LEDIT_BELL);
	/* While the line is hidden, the history is out of reach. */
	e.hidden = 1;
	CHECK(keys(&e, "\033[A") == LEDIT_BELL && line_is(&e, "dra"));
	e.hidden = 0;
	for (int i = 0; i < LEDIT_HISTORY + 5; i++) {
		ledit_set(&e, i % 2 ? "x" : "y", 1);
		ledit_accept(&e, 1);
	}
	CHECK(e.nhist == LEDIT_HISTORY);
	ledit_free(&e);
}

static void limits(void)
{
	struct ledit e;
	ledit_init(&e);
	char big[LEDIT_MAX];
	memset(big, 'a', sizeof big);
	ledit_set(&e, big, sizeof big);
	CHECK(ledit_key(&e, 'b') == LEDIT_BELL && e.len == LEDIT_MAX);
	ledit_free(&e);
}

/* Draws e after prompt into out, as a string. */
static void render(struct ledit *e, const char *prompt, int width,
		   int masked, char *out)
{
	size_t n = ledit_render(e, prompt, strlen(prompt), width, masked, out);
	out[n] = '\0';
}

/* Columns the rendering shows: text between escape sequences and CRs
 * (ASCII here, one column a byte). */
static size_t shown_columns(const char *out)
{
	size_t cols = 0, most = 0;
	for (const char *p = out; *p; p++) {
		if (*p == '\r') {
			cols = 0;
		} else if (*p == '\033') {
			while (p[1] && !((p[1] >= 'A' && p[1] <= 'Z') ||
					 (p[1] >= 'a' && p[1] <= 'z')))
				p++;
			if (p[1])
				p++;
		} else if (++cols > most) {
			most = cols;
		}
	}
	return most;
}

/* However narrow the terminal, nothing reaches its last column. */
static void narrow(void)
{
	struct ledit e;
	char out[LEDIT_RENDER_MAX(16) + 1];
	int ok = 1;
	ledit_init(&e);
	ledit_set(&e, "abcdefghijklmnopqrstuvwxyz", 26);
	for (int width = 1; width <= 12; width++) {
		render(&e, "ID: ", width, 0, out);
		if (shown_columns(out) > (size_t)(width > 1 ? width - 1 : 0))
			ok = 0;
	}
	CHECK(ok);
	render(&e, "ID: ", 1, 0, out);
	CHECK(strcmp(out, "\r\033[K") == 0);
	render(&e, "ID: ", 5, 0, out);
	CHECK(strstr(out, "ID:") == NULL && strstr(out, "z\033[K") != NULL);
	ledit_free(&e);
}

static void drawing(void)
{
	struct ledit e;
	char out[LEDIT_RENDER_MAX(16) + 1];
	ledit_init(&e);
	keys(&e, "hi");
	render(&e, "ID: ", 80, 0, out);
	CHECK(strcmp(out, "\rID: hi\033[K\r\033[6C") == 0);
	/* Masked: nothing of the line, not even its length. */
	render(&e, "PW: ", 80, 1, out);
	CHECK(strcmp(out, "\rPW: \033[K\r\033[4C") == 0);
	/* A line wider than the row scrolls to keep the cursor in view. */
	ledit_set(&e, "abcdefghijklmnopqrstuvwxyz", 26);
	render(&e, "", 20, 0, out);
	CHECK(strstr(out, "xyz\033[K") != NULL && strstr(out, "abc") == NULL);
	keys(&e, "\x01");
	render(&e, "", 20, 0, out);
	CHECK(strcmp(out, "\rabcdefghijklmnopqrs\033[K\r") == 0);
	/* Wide characters count two columns for the cursor. */
	ledit_set(&e, "\xe4\xb8\xad\xe4\xb8\xad", 6);
	render(&e, "> ", 80, 0, out);
	CHECK(strstr(out, "\033[6C") != NULL);
	/* Scrolling never splits a character from its marks. */
	char line[64];
	for (int i = 0; i < 20; i++)
		memcpy(line + 3 * i, "e\xcc\x81", 3);
	ledit_set(&e, line, 60);
	render(&e, "", 10, 0, out);
	CHECK(strncmp(out, "\re\xcc\x81", 4) == 0);
	CHECK(strstr(out, "e\xcc\x81\033[K") != NULL);
	ledit_free(&e);
}

int main(void)
{
	editing();
	utf8_cursor();
	history();
	limits();
	drawing();
	narrow();
	return UNIT_DONE();
}
