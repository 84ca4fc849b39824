/* fuzz_stream_entry.c — libFuzzer harness for the Redis backend's
 * parser of what it reads from Redis (broker/store/store_stream.c):
 * the input is one RESP reply, decoded by resp.c, then walked as an
 * XREAD reply, as an XREVRANGE reply and as one entry's field array;
 * every entry that decodes must keep store_stream.h's promises (the
 * bounds, no NUL, kind 1..255, seq >= 1).  Any text also goes through
 * the stream-ID parser, whose output must format back to the same ID.
 *
 * make fuzz runs it (make check replays tests/fuzz/corpus/stream_entry);
 * alone, from the top of the tree:
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
 *     tests/fuzz/fuzz_stream_entry.c broker/store/store_stream.c \
 *     broker/resp/resp.c -o build/fuzz_stream_entry */
#include "../../broker/store/store_stream.h"

#include <stdlib.h>
#include <string.h>

#define ARENA 8192

static struct resp_value arena[ARENA];
static unsigned long walked;

static void check_entry(const struct resp_value *fields)
{
	struct store_entry e;
	const char *host, *why = NULL;
	size_t host_len;
	if (stream_entry_decode(fields, &e, &host, &host_len, &why) < 0) {
		if (!why)
			abort(); /* a refusal says why */
		return;
	}
	if (e.seq == 0 || e.seq >> 63 || e.kind < 1 ||
	    e.kind > STORE_KIND_MAX || e.name_len < 1 ||
	    e.name_len > STORE_NAME_MAX || e.origin_len > STORE_ORIGIN_MAX ||
	    e.text_len > STORE_TEXT_MAX || host_len < 1 ||
	    host_len > STREAM_HOST_MAX || e.time_ms < 0)
		abort();
	if (memchr(e.name, 0, e.name_len) ||
	    (e.origin_len && memchr(e.origin, 0, e.origin_len)) ||
	    (e.text_len && memchr(e.text, 0, e.text_len)) ||
	    memchr(host, 0, host_len))
		abort();
}

static void on_entry(void *ctx, const struct resp_value *key,
		     const struct stream_id *id,
		     const struct resp_value *fields)
{
	(void)ctx;
	char buf[STREAM_ID_MAX];
	struct stream_id back;
	if (key && key->type != RESP_BULK)
		abort();
	stream_id_format(id, buf);
	if (stream_id_parse(buf, strlen(buf), &back) < 0 ||
	    stream_id_cmp(id, &back) != 0)
		abort();
	walked++;
	check_entry(fields);
}

static void check_id(const char *s, size_t len)
{
	struct stream_id id, back;
	char buf[STREAM_ID_MAX];
	if (stream_id_parse(s, len, &id) < 0)
		return;
	stream_id_format(&id, buf);
	if (stream_id_parse(buf, strlen(buf), &back) < 0 ||
	    stream_id_cmp(&id, &back) != 0 || strlen(buf) != len ||
	    memcmp(buf, s, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_reader rd;
	const char *buf = (const char *)data;
	check_id(buf, size < 64 ? size : 64);
	resp_reader_init(&rd);
	long n = resp_scan(&rd, buf, size, ARENA);
	if (n <= 0)
		return 0;
	struct resp_value *v = resp_decode(buf, (size_t)n, arena);
	(void)stream_walk_read(v, on_entry, NULL);
	(void)stream_walk_range(v, on_entry, NULL);
	check_entry(v);
	return 0;
}
