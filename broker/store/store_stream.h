/* store_stream.h — a room's entry as a Redis stream entry, and the
 * shape of XREAD / XREVRANGE replies: the Redis backend's parser of
 * what it reads from Redis (outside input: anyone with access to the
 * Redis may have written the stream).
 *
 * An entry's fields (bulk strings, in any order, each once):
 *   seq        decimal, 1..2^63: the room's sequence number
 *   time_ms    decimal, 0..2^63: ms since the epoch
 *   kind       decimal, 1..255
 *   name       1..STORE_NAME_MAX bytes
 *   origin     0..STORE_ORIGIN_MAX bytes
 *   origin_no  decimal, 0..2^63
 *   text       0..STORE_TEXT_MAX bytes
 *   host       1..STREAM_HOST_MAX bytes: the store that logged it
 * No string may hold a NUL; a decimal is 1..19 digits, no sign, no
 * leading zero (but "0").  Other fields are ignored (a later version
 * may add some), at most STREAM_FIELDS_MAX fields in all. */
#ifndef NATTER_BROKER_STORE_STREAM_H
#define NATTER_BROKER_STORE_STREAM_H

#include "../resp/resp.h"
#include "store.h"

#include <stdint.h>

#define STREAM_HOST_MAX 32
#define STREAM_FIELDS_MAX 32    /* name/value pairs in one entry */
#define STREAM_ID_MAX 42        /* "<u64>-<u64>" and its NUL */
#define STREAM_ENTRY_VALUES 19  /* RESP values one entry takes */

/* A stream entry ID, "MS-SEQ". */
struct stream_id {
	uint64_t ms, seq;
};

/* 0, or -1 when s (len bytes) is not "MS-SEQ" of two u64 decimals. */
int stream_id_parse(const char *s, size_t len, struct stream_id *id);
/* <0, 0, >0 as a is before, the same as, after b. */
int stream_id_cmp(const struct stream_id *a, const struct stream_id *b);
/* "MS-SEQ" into buf of at least STREAM_ID_MAX bytes. */
void stream_id_format(const struct stream_id *id, char *buf);
/* A decimal u64 below 2^63 (the rules above); 0, or -1. */
int stream_num(const char *s, size_t len, uint64_t *out);

/* Decodes an entry's field array.  e's strings point into the reply
 * (not NUL-terminated); e->seq is set.  0, or -1 with *why saying in a
 * few words what was wrong. */
int stream_entry_decode(const struct resp_value *fields,
			struct store_entry *e, const char **host,
			size_t *host_len, const char **why);

/* What a walk found in one entry: key (the stream's name, a bulk
 * string) and the entry's ID, and its fields as they came (any value:
 * stream_entry_decode judges). */
typedef void (*stream_entry_fn)(void *ctx, const struct resp_value *key,
				const struct stream_id *id,
				const struct resp_value *fields);

/* An XREVRANGE / XRANGE reply: an array of [id, fields].  Calls fn for
 * each entry of that shape whose ID parses, in the reply's order, with
 * key NULL;
 * returns how many elements had the wrong shape, -1 when the reply is
 * not an array at all. */
long stream_walk_range(const struct resp_value *v, stream_entry_fn fn,
		       void *ctx);
/* An XREAD reply: nil (a timeout) or an array of [key, range].  The
 * same counting; nil walks nothing and returns 0. */
long stream_walk_read(const struct resp_value *v, stream_entry_fn fn,
		      void *ctx);

#endif
