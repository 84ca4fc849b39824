/* test_resp.c — the RESP2 codec: commands out, replies in whole and in
 * pieces, and every bound refused. */
#include "../../broker/resp/resp.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define ARENA 64

/* Scans s fed one byte at a time; returns the final status. */
static long scan_bytewise(const char *s, size_t len, size_t max_values)
{
	struct resp_reader r;
	long st = RESP_NEED_MORE;
	resp_reader_init(&r);
	for (size_t i = 1; i <= len && st == RESP_NEED_MORE; i++)
		st = resp_scan(&r, s, i, max_values);
	return st;
}

static long scan_whole(const char *s, size_t max_values)
{
	struct resp_reader r;
	resp_reader_init(&r);
	return resp_scan(&r, s, strlen(s), max_values);
}

static void encode(void)
{
	char out[64];
	const char *argv[] = { "XADD", "room:lobby", "*", "t", "" };
	long n = resp_encode_str(out, sizeof out, 5, argv);
	const char *want = "*5\r\n$4\r\nXADD\r\n$10\r\nroom:lobby\r\n"
			   "$1\r\n*\r\n$1\r\nt\r\n$0\r\n\r\n";
	CHECK(n == (long)strlen(want) && memcmp(out, want, (size_t)n) == 0);
	CHECK(resp_encode_str(out, 20, 5, argv) == -1);
	CHECK(resp_encode_str(out, sizeof out, 0, argv) == -1);
	/* binary-safe: a NUL and CRLF inside an argument */
	const char *bin[] = { "a\0\r\nb" };
	size_t blen[] = { 5 };
	n = resp_encode(out, sizeof out, 1, bin, blen);
	CHECK(n == 15 && memcmp(out, "*1\r\n$5\r\na\0\r\nb\r\n", 15) == 0);
	/* what we encode scans as one reply of 1 + argc values */
	CHECK(scan_whole("*5\r\n$4\r\nXADD\r\n$10\r\nroom:lobby\r\n"
			 "$1\r\n*\r\n$1\r\nt\r\n$0\r\n\r\n", 6) > 0);
}

static void replies(void)
{
	struct resp_value arena[ARENA];
	const char *s = "*2\r\n*2\r\n$9\r\nroom:talk\r\n*1\r\n*2\r\n"
			"$3\r\n1-0\r\n*2\r\n$1\r\nt\r\n$2\r\nhi\r\n"
			":-42\r\n";
	long n = scan_whole(s, ARENA);
	CHECK(n == (long)strlen(s));
	CHECK(scan_bytewise(s, strlen(s), ARENA) == n);
	struct resp_value *v = resp_decode(s, (size_t)n, arena);
	CHECK(v->type == RESP_ARRAY && v->n == 2);
	CHECK(v->elem[1].type == RESP_INTEGER && v->elem[1].integer == -42);
	struct resp_value *stream = &v->elem[0];
	CHECK(stream->n == 2 && resp_is(&stream->elem[0], "room:talk"));
	struct resp_value *entry = &stream->elem[1].elem[0];
	CHECK(resp_is(&entry->elem[0], "1-0"));
	CHECK(resp_is(&entry->elem[1].elem[1], "hi"));
	CHECK(scan_whole("+OK\r\n", 1) == 5 &&
	      resp_is(resp_decode("+OK\r\n", 5, arena), "OK"));
	v = resp_decode("-ERR no\r\n", 9, arena);
	CHECK(v->type == RESP_ERROR && v->len == 6 && !memcmp(v->str, "ERR no", 6));
	CHECK(scan_whole("$-1\r\n", 1) == 5 &&
	      resp_decode("$-1\r\n", 5, arena)->type == RESP_NIL);
	CHECK(resp_decode("*-1\r\n", 5, arena)->type == RESP_NIL);
	v = resp_decode("*0\r\n", 4, arena);
	CHECK(v->type == RESP_ARRAY && v->n == 0);
	v = resp_decode("$0\r\n\r\n", 6, arena);
	CHECK(v->type == RESP_BULK && v->len == 0);
	/* a second reply behind the first is not taken */
	CHECK(scan_whole("+A\r\n+B\r\n", 1) == 4);
	CHECK(scan_whole(":9223372036854775807\r\n", 1) > 0);
	v = resp_decode(":-9223372036854775808\r\n", 23, arena);
	CHECK(v->type == RESP_INTEGER && v->integer == -9223372036854775807LL - 1);
}

static void bad(void)
{
	char deep[64] = "";
	for (int i = 0; i <= RESP_DEPTH_MAX; i++)
		strcat(deep, "*1\r\n");
	strcat(deep, ":1\r\n");
	CHECK(scan_whole(deep, ARENA) == RESP_BAD);
	CHECK(scan_whole(deep + 4, ARENA) > 0); /* exactly the bound: fine */
	CHECK(scan_whole("!x\r\n", 1) == RESP_BAD);
	CHECK(scan_whole(":12a\r\n", 1) == RESP_BAD);
	CHECK(scan_whole(":\r\n", 1) == RESP_BAD);
	CHECK(scan_whole(":9223372036854775808\r\n", 1) == RESP_BAD);
	CHECK(scan_whole("$-2\r\n", 1) == RESP_BAD);
	CHECK(scan_whole("$1048577\r\n", 1) == RESP_BAD);
	CHECK(scan_whole("$2\r\nabcd\r\n", 1) == RESP_BAD);
	CHECK(scan_whole("*-2\r\n", 1) == RESP_BAD);
	CHECK(scan_whole("*3\r\n:1\r\n:2\r\n:3\r\n", 3) == RESP_BAD);
	CHECK(scan_whole("*3\r\n:1\r\n:2\r\n:3\r\n", 4) > 0);
	CHECK(scan_whole("*1000000\r\n", 64) == RESP_BAD);
	/* a line longer than RESP_LINE_MAX without its end */
	size_t big = RESP_LINE_MAX + 16;
	char *line = malloc(big + 1);
	CHECK(line != NULL);
	if (!line)
		return;
	memset(line, 'x', big);
	line[0] = '+';
	line[big] = '\0';
	CHECK(scan_whole(line, 1) == RESP_BAD);
	line[RESP_LINE_MAX - 1] = '\0'; /* shorter: it may still end */
	CHECK(scan_whole(line, 1) == RESP_NEED_MORE);
	free(line);
	CHECK(scan_whole("$5\r\nab", 1) == RESP_NEED_MORE);
	CHECK(scan_whole("*2\r\n:1\r\n", 3) == RESP_NEED_MORE);
}

int main(void)
{
	encode();
	replies();
	bad();
	return UNIT_DONE();
}
