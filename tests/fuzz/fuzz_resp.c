/* fuzz_resp.c — libFuzzer harness for the RESP2 reply reader.
 *
 *   make fuzz            (all harnesses, FUZZ_SECONDS each)
 *   build-fuzz/fuzz_resp -max_total_time=60
 *
 * Checks, beyond "no crash, no overread" (ASan): a reply scanned in
 * two pieces at any split ends the same as scanned whole; a complete
 * reply decodes with every value inside the arena and every string
 * inside the input. */
#include "../../broker/resp/resp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA 256

static void check_value(const struct resp_value *v, const char *buf,
			size_t len, const struct resp_value *arena)
{
	if (v < arena || v >= arena + ARENA)
		abort();
	if ((v->type == RESP_STRING || v->type == RESP_ERROR ||
	     v->type == RESP_BULK) &&
	    (v->str < buf || v->str + v->len > buf + len))
		abort();
	if (v->type == RESP_ARRAY)
		for (size_t i = 0; i < v->n; i++)
			check_value(&v->elem[i], buf, len, arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct resp_value arena[ARENA];
	struct resp_reader whole, split;
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	resp_reader_init(&whole);
	long a = resp_scan(&whole, buf, size, ARENA);
	size_t cut = size ? (size_t)data[0] % (size + 1) : 0;
	resp_reader_init(&split);
	long b = resp_scan(&split, buf, cut, ARENA);
	if (b == RESP_NEED_MORE)
		b = resp_scan(&split, buf, size, ARENA);
	if (a != b)
		abort();
	if (a > 0)
		check_value(resp_decode(buf, (size_t)a, arena), buf,
			    (size_t)a, arena);
	free(buf);
	return 0;
}
