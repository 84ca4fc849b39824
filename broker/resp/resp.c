/* resp.c — RESP2 commands out, replies in (resp.h). */
#include "resp.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Appends len bytes at *at if they fit before end. */
static int put(char **at, const char *end, const char *s, size_t len)
{
	if ((size_t)(end - *at) < len)
		return -1;
	memcpy(*at, s, len);
	*at += len;
	return 0;
}

/* "<mark><n>\r\n" */
static int put_count(char **at, const char *end, char mark, size_t n)
{
	char num[32];
	int k = snprintf(num, sizeof num, "%c%zu\r\n", mark, n);
	return put(at, end, num, (size_t)k);
}

long resp_encode(char *out, size_t cap, int argc, const char *const *argv,
		 const size_t *lens)
{
	char *at = out;
	const char *end = out + cap;
	if (argc <= 0 || argc > RESP_ARGS_MAX)
		return -1;
	if (put_count(&at, end, '*', (size_t)argc) < 0)
		return -1;
	for (int i = 0; i < argc; i++)
		if (put_count(&at, end, '$', lens[i]) < 0 ||
		    put(&at, end, argv[i], lens[i]) < 0 ||
		    put(&at, end, "\r\n", 2) < 0)
			return -1;
	return at - out;
}

long resp_encode_str(char *out, size_t cap, int argc,
		     const char *const *argv)
{
	size_t lens[RESP_ARGS_MAX];
	if (argc <= 0 || argc > RESP_ARGS_MAX)
		return -1;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return resp_encode(out, cap, argc, argv, lens);
}

void resp_reader_init(struct resp_reader *r)
{
	memset(r, 0, sizeof *r);
}

/* The end of the line that starts at p (the index of its '\r'), -1 when
 * it is not all here yet, -2 when it is longer than RESP_LINE_MAX. */
static long line_end(const char *buf, size_t len, size_t p)
{
	size_t limit = p + 1 + RESP_LINE_MAX + 2;
	for (size_t i = p + 1; i + 1 < len && i + 1 < limit; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			return (long)i;
	return len >= limit ? -2 : -1;
}

/* A decimal number filling [s, e): 0, or -1 when it is not one or does
 * not fit a long long. */
static int parse_number(const char *s, const char *e, long long *out)
{
	int neg = s < e && *s == '-';
	unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1
					    : (unsigned long long)LLONG_MAX;
	if (neg)
		s++;
	if (s == e)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

/* One value's header at p.  Sets *next past the whole value (for an
 * array, past its header only) and *count (array members; -1 for a
 * leaf).  Returns 1, RESP_NEED_MORE or RESP_BAD. */
static int scan_one(const char *buf, size_t len, size_t p, size_t *next,
		    long long *count)
{
	long e = line_end(buf, len, p);
	long long n = 0;
	if (e == -1)
		return RESP_NEED_MORE;
	if (e == -2)
		return RESP_BAD;
	*count = -1;
	*next = (size_t)e + 2;
	switch (buf[p]) {
	case '+':
	case '-':
		return 1;
	case ':':
		return parse_number(buf + p + 1, buf + e, &n) < 0 ? RESP_BAD : 1;
	case '$':
		if (parse_number(buf + p + 1, buf + e, &n) < 0 || n < -1 ||
		    n > RESP_BULK_MAX)
			return RESP_BAD;
		if (n == -1)
			return 1;
		if (len - *next < (size_t)n + 2)
			return RESP_NEED_MORE;
		*next += (size_t)n;
		if (buf[*next] != '\r' || buf[*next + 1] != '\n')
			return RESP_BAD;
		*next += 2;
		return 1;
	case '*':
		if (parse_number(buf + p + 1, buf + e, &n) < 0 || n < -1)
			return RESP_BAD;
		*count = n > 0 ? n : -1;
		return 1;
	default:
		return RESP_BAD;
	}
}

long resp_scan(struct resp_reader *r, const char *buf, size_t len,
	       size_t max_values)
{
	while (r->pos < len) {
		size_t next;
		long long count;
		int st = scan_one(buf, len, r->pos, &next, &count);
		if (st != 1)
			return st;
		if (++r->values > max_values ||
		    (count > 0 && (unsigned long long)count > max_values))
			return RESP_BAD;
		r->pos = next;
		if (count > 0) {
			if (r->depth == RESP_DEPTH_MAX)
				return RESP_BAD;
			r->left[r->depth++] = count;
			continue;
		}
		while (r->depth > 0 && --r->left[r->depth - 1] == 0)
			r->depth--;
		if (r->depth == 0)
			return (long)r->pos;
	}
	return RESP_NEED_MORE;
}

/* Decodes the value at *p into v, its members from *next in arena. */
static void decode_at(const char *buf, size_t len, size_t *p,
		      struct resp_value *v, struct resp_value *arena,
		      size_t *next)
{
	size_t after;
	long long count;
	long e = line_end(buf, len, *p);
	char mark = buf[*p];
	memset(v, 0, sizeof *v);
	scan_one(buf, len, *p, &after, &count);
	v->str = buf + *p + 1;
	v->len = (size_t)e - *p - 1;
	if (mark == '+' || mark == '-') {
		v->type = mark == '+' ? RESP_STRING : RESP_ERROR;
	} else if (mark == ':') {
		v->type = RESP_INTEGER;
		parse_number(v->str, buf + e, &v->integer);
	} else if (mark == '$') {
		v->type = after == (size_t)e + 2 ? RESP_NIL : RESP_BULK;
		v->str = buf + e + 2;
		v->len = v->type == RESP_NIL ? 0 : after - (size_t)e - 4;
	} else {
		parse_number(v->str, buf + e, &v->integer);
		v->type = v->integer < 0 ? RESP_NIL : RESP_ARRAY;
		v->str = NULL;
		v->len = 0;
		v->integer = 0;
		if (count > 0) {
			v->n = (size_t)count;
			v->elem = arena + *next;
			*next += v->n;
			*p = after;
			for (size_t i = 0; i < v->n; i++)
				decode_at(buf, len, p, &v->elem[i], arena,
					  next);
			return;
		}
	}
	*p = after;
}

struct resp_value *resp_decode(const char *buf, size_t len,
			       struct resp_value *arena)
{
	size_t p = 0, next = 1;
	decode_at(buf, len, &p, &arena[0], arena, &next);
	return &arena[0];
}

int resp_is(const struct resp_value *v, const char *s)
{
	size_t n = strlen(s);
	return (v->type == RESP_BULK || v->type == RESP_STRING) &&
	       v->len == n && memcmp(v->str, s, n) == 0;
}
