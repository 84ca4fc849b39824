/* ledit.h — the line being typed: editing keys, history and how the
 * line is drawn on one terminal row.
 *
 * Pure: keys in, actions and bytes for the terminal out; no I/O.
 * Keys (byte values as a terminal in raw mode sends them):
 *   printable UTF-8      inserted at the cursor
 *   Tab                  inserted as a space (pasted text keeps its
 *                        words apart)
 *   Backspace, ^H        delete the character before the cursor
 *   ^D                   delete the character under the cursor; on an
 *                        empty line, end of input (LEDIT_EOF)
 *   Left, Right, ^B, ^F  move by one character
 * "Character" means what a person sees: one with its combining marks
 * (e + U+0301) moves and is deleted whole.
 *   Home, End, ^A, ^E    move to the start / end
 *   Delete               delete the character under the cursor
 *   ^U / ^K              delete before / from the cursor
 *   ^W                   delete the word before the cursor
 *   Up, Down, ^P, ^N     walk the history of sent lines
 *   ^L                   redraw (LEDIT_CLEAR)
 *   Enter (CR, LF, CRLF) LEDIT_SUBMIT
 * The line holds at most LEDIT_MAX bytes (the server's line limit); a
 * key that would pass it is refused with LEDIT_BELL. */
#ifndef NATTER_LEDIT_H
#define NATTER_LEDIT_H

#include <stddef.h>

#define LEDIT_MAX 1024
#define LEDIT_HISTORY 100 /* sent lines remembered; the oldest goes */
/* Room ledit_render needs for a prompt of plen bytes. */
#define LEDIT_RENDER_MAX(plen) ((plen) + LEDIT_MAX + 64)

enum ledit_action {
	LEDIT_NONE,   /* nothing visible changed */
	LEDIT_REDRAW, /* the line or cursor changed */
	LEDIT_SUBMIT, /* Enter: take the line with ledit_line/ledit_accept */
	LEDIT_EOF,    /* ^D on an empty line */
	LEDIT_BELL,   /* refused: ring the bell */
	LEDIT_CLEAR,  /* ^L */
};

struct ledit {
	char buf[LEDIT_MAX];
	size_t len, cur; /* bytes in buf; the cursor's byte offset */
	size_t scroll;   /* first byte shown when the line is too wide */
	unsigned char pend[4]; /* a character arriving byte by byte */
	size_t npend;
	int esc;                /* escape sequence state */
	char param[8];          /* its parameter bytes */
	size_t nparam;
	int after_cr;
	char *hist[LEDIT_HISTORY]; /* a ring, oldest at hstart */
	size_t nhist, hstart;
	int hpos; /* -1: editing a new line; else 0 = newest entry */
	char saved[LEDIT_MAX];     /* the new line, while browsing */
	size_t nsaved;
	int hidden; /* set by the caller while the line is not shown: the
	               history is out of reach (an unseen old line must
	               not go as a password) */
};

void ledit_init(struct ledit *e);
void ledit_free(struct ledit *e);
enum ledit_action ledit_key(struct ledit *e, unsigned char c);
/* The line as typed (not NUL-terminated). */
const char *ledit_line(const struct ledit *e, size_t *len);
/* Empties the line after a submit; remember: add it to the history
 * (never for a hidden line such as a password: that one is wiped). */
void ledit_accept(struct ledit *e, int remember);
/* Puts text in the line, as if typed (tests; never past LEDIT_MAX). */
void ledit_set(struct ledit *e, const char *text, size_t len);
/* The bytes that draw prompt + line on the cursor's row, for a
 * terminal width columns wide: the line scrolls sideways to keep the
 * cursor in view, and a prompt wider than half the row shows its end.
 * masked: the line is not shown at all (the server echoes; as telnet
 * and ssh do, not even the length of a password shows).  out needs
 * LEDIT_RENDER_MAX(plen) bytes.  Returns the bytes stored. */
size_t ledit_render(struct ledit *e, const char *prompt, size_t plen,
		    int width, int masked, char *out);

#endif
