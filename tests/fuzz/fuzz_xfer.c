/* fuzz_xfer.c — libFuzzer harness for file sharing's parsers of outside
 * bytes (lib/xferproto.c, lib/fname.c): a data connection's first line
 * (natter-session reads it from anyone who connects), the server's
 * answer and event lines (natter reads them from a server), the
 * receiver's DONE (the sender's natter reads it), and the cleaning of
 * an offered name.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_xfer -max_total_time=60
 *
 * The first byte picks the parser; the rest is the line.  What must
 * hold: answers are 0, 1 or -1; what a parser accepts is what it says
 * (a token is 32 lower-case hex digits, an event's name is clean); a
 * cleaned name has no '/', '\\', control byte or leading '.', fits
 * FNAME_MAX, is clean by fname_is_clean, and cleaning it again changes
 * nothing. */
#include "crc32c.h"
#include "fname.h"
#include "xferproto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_name(const char *s, size_t len)
{
	char out[FNAME_MAX + 1], again[FNAME_MAX + 1];
	size_t n = fname_clean(s, len, out, sizeof out);
	if (n > FNAME_MAX || n != strlen(out) || n > len)
		abort();
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			abort();
	}
	if (out[0] == '.' || out[0] == ' ' || out[n - 1] == ' ' ||
	    !fname_is_clean(out, n) ||
	    fname_clean(out, n, again, sizeof again) != n ||
	    memcmp(out, again, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *l = (const char *)data + 1;
	size_t len = size - 1;
	struct xfer_request r;
	struct xfer_event e;
	uint64_t n;
	uint32_t crc;
	char msg[XFER_LINE_MAX];
	switch (data[0] % 5) {
	case 0:
		if (xfer_parse_request(l, len, &r) == 0 &&
		    ((r.role != XFER_PUT && r.role != XFER_GET) ||
		     !xfer_token_ok(r.token, strlen(r.token))))
			abort();
		break;
	case 1:
		(void)xfer_parse_done(l, len, &n, &crc);
		break;
	case 2: {
		int k = xfer_parse_reply(l, len, &n, msg, sizeof msg);
		if (k < -1 || k > 1 || (k == 0 && strlen(msg) >= sizeof msg))
			abort();
		break;
	}
	case 3:
		if (xfer_parse_event(l, len, &e) == 0 &&
		    ((e.name[0] && !fname_is_clean(e.name, strlen(e.name))) ||
		     (e.token[0] && !xfer_token_ok(e.token, strlen(e.token)))))
			abort();
		break;
	default:
		check_name(l, len);
		(void)crc32c(l, len);
		break;
	}
	return 0;
}
