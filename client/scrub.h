/* scrub.h — server text made safe for a terminal.
 *
 * What the server sends is shown, never obeyed: UTF-8 text passes,
 * line ends become '\n', and every control character is made visible
 * in caret notation (ESC as "^[", DEL as "^?"), so no escape sequence
 * can reach the terminal.  Bytes that are not UTF-8, and the C1
 * controls U+0080-U+009F, become U+FFFD.  A character cut between two
 * reads is held (at most 3 bytes) until the rest arrives. */
#ifndef NATTER_SCRUB_H
#define NATTER_SCRUB_H

#include <stddef.h>

/* The most output one input byte can give: U+FFFD is 3 bytes. */
#define SCRUB_GROWTH 3

struct scrub {
	unsigned char held[4];
	size_t nheld;
	int after_cr; /* the last byte was CR: a following LF or NUL is
	                 part of the same line end */
	int bell;     /* a BEL came (it is never passed on): the reader
	                 may ring the terminal's bell itself, and clear it */
};

void scrub_init(struct scrub *s);
/* Cleans len bytes into out, which needs SCRUB_GROWTH * (len + 3)
 * bytes.  Returns the bytes stored. */
size_t scrub_feed(struct scrub *s, const unsigned char *in, size_t len,
		  char *out);

#endif
