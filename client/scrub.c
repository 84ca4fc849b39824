/* scrub.c — control characters shown, not obeyed. */
#include "scrub.h"
#include "cutf8.h"

#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void scrub_init(struct scrub *s)
{
	memset(s, 0, sizeof *s);
}

/* One ASCII byte.  CR, CR LF, CR NUL and LF each end one line. */
static size_t ascii(struct scrub *s, unsigned char c, char *out)
{
	int after_cr = s->after_cr;
	s->after_cr = 0;
	if (c == '\r') {
		s->after_cr = 1;
		out[0] = '\n';
		return 1;
	}
	if (c == '\n') {
		if (after_cr)
			return 0;
		out[0] = '\n';
		return 1;
	}
	if (c == '\0')
		return 0; /* padding (and the NUL of CR NUL) */
	if (c == '\t') {
		out[0] = ' '; /* keeps column arithmetic simple */
		return 1;
	}
	if (c == '\a') {
		s->bell = 1; /* the reader decides (natter-session's /bell) */
		return 0;
	}
	if (c < 0x20 || c == 0x7f) {
		out[0] = '^';
		out[1] = c == 0x7f ? '?' : (char)(c + '@');
		return 2;
	}
	out[0] = (char)c;
	return 1;
}

/* Decodes what is held plus new bytes, one character at a time. */
size_t scrub_feed(struct scrub *s, const unsigned char *in, size_t len,
		  char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];
		if (s->nheld == 0 && c < 0x80) {
			n += ascii(s, c, out + n);
			continue;
		}
		s->after_cr = 0;
		s->held[s->nheld++] = c;
		unsigned cp;
		int r = cutf8_decode(s->held, s->nheld, &cp);
		if (r == CUTF8_INCOMPLETE)
			continue;
		if (r == CUTF8_INVALID) {
			/* The first held byte is bad; the rest are looked
			 * at again, as they may start a good character. */
			memcpy(out + n, replacement, 3);
			n += 3;
			size_t rest = s->nheld - 1;
			unsigned char again[4];
			memcpy(again, s->held + 1, rest);
			s->nheld = 0;
			n += scrub_feed(s, again, rest, out + n);
			continue;
		}
		/* C1 controls, and the bidi embeddings, overrides and
		 * isolates that could reorder the screen (natter-session
		 * removes them; another server might not). */
		if ((cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			memcpy(out + n, replacement, 3);
			n += 3;
		} else {
			memcpy(out + n, s->held, s->nheld);
			n += s->nheld;
		}
		s->nheld = 0;
	}
	return n;
}
