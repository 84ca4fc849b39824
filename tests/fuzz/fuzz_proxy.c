/* fuzz_proxy.c — libFuzzer harness for the PROXY protocol header parser
 * (supervisor/proxy.c), which reads the first bytes of every connection
 * on a listener marked -l proxy:.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_proxy -max_total_time=60
 *
 * What must hold: the answer is -1, 0 or 1; a whole header is no longer
 * than its version allows and than what was given; its addresses are
 * IPv4 or IPv6 unless it is LOCAL; every prefix of a whole header asks
 * for more (so natterd, reading it in pieces, never stops early), and
 * bytes after it change nothing (so a person's first line, in the same
 * packet, is not taken for part of it); "more" is never asked past the
 * bound. */
#include "../../supervisor/proxy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_whole(const uint8_t *data, size_t size,
			const struct proxy_header *h)
{
	struct proxy_header again;
	if (h->len == 0 || h->len > size || h->len > PROXY_HEADER_MAX ||
	    (h->version == 1 && h->len > PROXY_V1_MAX) ||
	    (h->version != 1 && h->version != 2))
		abort();
	if (!h->local && (h->src.ss_family != h->dst.ss_family ||
			  (h->src.ss_family != AF_INET &&
			   h->src.ss_family != AF_INET6)))
		abort();
	for (size_t n = 0; n < h->len; n++)
		if (proxy_parse(data, n, &again) != 0)
			abort();
	if (proxy_parse(data, h->len, &again) != 1 || again.len != h->len ||
	    memcmp(&again.src, &h->src, sizeof h->src) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	int r = proxy_parse(data, size, &h);
	if (r == 1)
		check_whole(data, size, &h);
	else if (r == 0 && size >= PROXY_HEADER_MAX)
		abort();
	else if (r != 0 && r != -1)
		abort();
	return 0;
}
