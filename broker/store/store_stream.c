/* store_stream.c — stream entries and replies (store_stream.h).  Pure
 * code over decoded RESP values: no I/O, no allocation. */
#include "store_stream.h"

#include <stdio.h>
#include <string.h>

int stream_num(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit */
	}
	if (v >> 63)
		return -1;
	*out = v;
	return 0;
}

/* Like stream_num, but the full u64 range (Redis IDs use it). */
static int id_part(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int stream_id_parse(const char *s, size_t len, struct stream_id *id)
{
	const char *dash = s ? memchr(s, '-', len) : NULL;
	if (!dash)
		return -1;
	size_t a = (size_t)(dash - s);
	return id_part(s, a, &id->ms) < 0 ||
	       id_part(dash + 1, len - a - 1, &id->seq) < 0 ? -1 : 0;
}

int stream_id_cmp(const struct stream_id *a, const struct stream_id *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

void stream_id_format(const struct stream_id *id, char *buf)
{
	snprintf(buf, STREAM_ID_MAX, "%llu-%llu", (unsigned long long)id->ms,
		 (unsigned long long)id->seq);
}

enum field { F_SEQ, F_TIME, F_KIND, F_NAME, F_ORIGIN, F_NO, F_TEXT,
	     F_HOST, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"seq", "time_ms", "kind", "name", "origin", "origin_no", "text",
	"host"
};

/* The largest length of each string field (numbers: 19 digits). */
static const size_t field_max[F_COUNT] = {
	19, 19, 3, STORE_NAME_MAX, STORE_ORIGIN_MAX, 19, STORE_TEXT_MAX,
	STREAM_HOST_MAX
};

static int field_of(const struct resp_value *k)
{
	for (int f = 0; f < F_COUNT; f++)
		if (k->len == strlen(field_names[f]) &&
		    memcmp(k->str, field_names[f], k->len) == 0)
			return f;
	return -1;
}

/* Finds each known field once; its value a bulk string within bounds,
 * without a NUL. */
static int fields_find(const struct resp_value *fields,
		       const struct resp_value **val, const char **why)
{
	if (fields->type != RESP_ARRAY || fields->n % 2 ||
	    fields->n > 2 * STREAM_FIELDS_MAX) {
		*why = "fields are not name/value pairs";
		return -1;
	}
	for (size_t i = 0; i < fields->n; i += 2) {
		const struct resp_value *k = &fields->elem[i];
		const struct resp_value *v = &fields->elem[i + 1];
		if (k->type != RESP_BULK || v->type != RESP_BULK) {
			*why = "a field that is not a string";
			return -1;
		}
		int f = field_of(k);
		if (f < 0)
			continue;
		if (val[f]) {
			*why = "a field twice";
			return -1;
		}
		if (v->len > field_max[f] || memchr(v->str, '\0', v->len)) {
			*why = "a field too long or holding a NUL";
			return -1;
		}
		val[f] = v;
	}
	for (int f = 0; f < F_COUNT; f++)
		if (!val[f] && f != F_ORIGIN && f != F_TEXT) {
			*why = "a field missing";
			return -1;
		}
	return 0;
}

int stream_entry_decode(const struct resp_value *fields,
			struct store_entry *e, const char **host,
			size_t *host_len, const char **why)
{
	const struct resp_value *val[F_COUNT] = { 0 };
	uint64_t seq, tm, kind, no;
	if (fields_find(fields, val, why) < 0)
		return -1;
	if (stream_num(val[F_SEQ]->str, val[F_SEQ]->len, &seq) < 0 ||
	    stream_num(val[F_TIME]->str, val[F_TIME]->len, &tm) < 0 ||
	    stream_num(val[F_KIND]->str, val[F_KIND]->len, &kind) < 0 ||
	    stream_num(val[F_NO]->str, val[F_NO]->len, &no) < 0) {
		*why = "a number that is not one";
		return -1;
	}
	if (seq == 0 || kind < 1 || kind > STORE_KIND_MAX ||
	    val[F_NAME]->len == 0 || val[F_HOST]->len == 0) {
		*why = "a value out of range";
		return -1;
	}
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->time_ms = (int64_t)tm;
	e->kind = (unsigned)kind;
	e->origin_no = no;
	e->name = val[F_NAME]->str;
	e->name_len = val[F_NAME]->len;
	e->origin = val[F_ORIGIN] ? val[F_ORIGIN]->str : "";
	e->origin_len = val[F_ORIGIN] ? val[F_ORIGIN]->len : 0;
	e->text = val[F_TEXT] ? val[F_TEXT]->str : "";
	e->text_len = val[F_TEXT] ? val[F_TEXT]->len : 0;
	*host = val[F_HOST]->str;
	*host_len = val[F_HOST]->len;
	return 0;
}

/* The entries of one range, for key (NULL in a range reply). */
static long walk_entries(const struct resp_value *v,
			 const struct resp_value *key, stream_entry_fn fn,
			 void *ctx)
{
	long bad = 0;
	if (v->type != RESP_ARRAY)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct resp_value *en = &v->elem[i];
		struct stream_id id;
		if (en->type != RESP_ARRAY || en->n != 2 ||
		    en->elem[0].type != RESP_BULK ||
		    stream_id_parse(en->elem[0].str, en->elem[0].len,
				    &id) < 0) {
			bad++;
			continue;
		}
		fn(ctx, key, &id, &en->elem[1]);
	}
	return bad;
}

long stream_walk_range(const struct resp_value *v, stream_entry_fn fn,
		       void *ctx)
{
	return walk_entries(v, NULL, fn, ctx);
}

long stream_walk_read(const struct resp_value *v, stream_entry_fn fn,
		      void *ctx)
{
	long bad = 0;
	if (v->type == RESP_NIL)
		return 0;
	if (v->type != RESP_ARRAY)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct resp_value *s = &v->elem[i];
		long b;
		if (s->type != RESP_ARRAY || s->n != 2 ||
		    s->elem[0].type != RESP_BULK ||
		    (b = walk_entries(&s->elem[1], &s->elem[0], fn, ctx)) < 0) {
			bad++;
			continue;
		}
		bad += b;
	}
	return bad;
}
