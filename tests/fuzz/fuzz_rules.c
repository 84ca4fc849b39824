/* fuzz_rules.c — libFuzzer harness for natterd's -x rules file parser
 * (supervisor/rules.c), which reads a file an operator wrote by hand.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_rules -max_total_time=60
 *
 * What must hold: a bad file names a line that exists (1 to the
 * number of lines) and a reason; a good one holds at most RULES_MAX
 * rules, each an address masked to a prefix its family allows; the
 * verdict for any address is one of the three; a good file parsed
 * again gives the same rules (the parser keeps no state). */
#include "../../supervisor/rules.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct rules r1, r2;

static size_t lines_in(const uint8_t *data, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size && data[size - 1] != '\n');
}

static int same(const struct rule *a, const struct rule *b)
{
	return a->allow == b->allow && a->net.family == b->net.family &&
	       a->net.prefix == b->net.prefix &&
	       memcmp(a->net.addr, b->net.addr, 16) == 0;
}

static void check_verdicts(const struct rules *r, const uint8_t *data,
			   size_t size)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	memcpy(&v4.sin_addr, data, size < 4 ? size : 4);
	memcpy(&v6.sin6_addr, data, size < 16 ? size : 16);
	enum rule_verdict a = rules_verdict(r, (struct sockaddr *)&v4);
	enum rule_verdict b = rules_verdict(r, (struct sockaddr *)&v6);
	if ((a != RULE_NONE && a != RULE_ALLOW && a != RULE_DENY) ||
	    (b != RULE_NONE && b != RULE_ALLOW && b != RULE_DENY))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	size_t bad = rules_parse(&r1, (const char *)data, size, &why);
	if (bad) {
		if (bad > lines_in(data, size) || !why || !why[0])
			abort();
		return 0;
	}
	if (r1.n > RULES_MAX)
		abort();
	for (size_t i = 0; i < r1.n; i++) {
		const struct ban *b = &r1.v[i].net;
		if (b->kind != BAN_ADDR ||
		    (b->family == AF_INET && b->prefix > 32) ||
		    (b->family == AF_INET6 && b->prefix > 128) ||
		    (b->family != AF_INET && b->family != AF_INET6))
			abort();
	}
	if (rules_parse(&r2, (const char *)data, size, &why) != 0 ||
	    r2.n != r1.n)
		abort();
	for (size_t i = 0; i < r1.n; i++)
		if (!same(&r1.v[i], &r2.v[i]))
			abort();
	check_verdicts(&r1, data, size);
	return 0;
}
