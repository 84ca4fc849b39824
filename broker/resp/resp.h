/* resp.h — RESP2, the Redis protocol: commands out, replies in.
 *
 * Pure code: no I/O, no allocation, no printing.  The Redis link
 * (redis.h) feeds it the bytes it read and acts on what it returns.
 *
 * Out: a command is an array of bulk strings,
 *   *<argc>\r\n  then per argument  $<len>\r\n<bytes>\r\n
 * resp_encode writes one into a caller's buffer, or says it did not fit.
 *
 * In: a reply is one value of
 *   +simple\r\n   -error\r\n   :integer\r\n
 *   $<len>\r\n<bytes>\r\n  ($-1: null)   *<n>\r\n<n values>  (*-1: null)
 * Replies come whole or in pieces.  A resp_reader first scans the bytes
 * for one complete reply, resuming where it stopped when more arrive (so
 * a large reply read in many pieces is scanned once), then decodes it
 * into a tree of struct resp_value in an arena the caller owns.  Strings
 * point into the caller's buffer: a decoded reply is valid until the
 * caller moves or overwrites the bytes it was decoded from.
 *
 * Bounds (every one refused as RESP_BAD, which is the end of that
 * connection: a peer that sends them is not Redis or is broken):
 *   RESP_DEPTH_MAX   arrays inside arrays (XREAD replies need 5)
 *   RESP_BULK_MAX    bytes in one bulk string
 *   RESP_LINE_MAX    bytes in a simple string, error or number line
 *   an array's count above the arena's room (the caller's capacity)
 * Integers and lengths are decimal, optionally negative for :, and must
 * fit a long long; "$-1" and "*-1" are null, any other negative length
 * is bad. */
#ifndef NATTER_RESP_H
#define NATTER_RESP_H

#include <stddef.h>

#define RESP_DEPTH_MAX 8
#define RESP_BULK_MAX (1024 * 1024)
#define RESP_LINE_MAX 4096
#define RESP_ARGS_MAX 1024 /* arguments in one command: XREAD names every room */

enum resp_type {
	RESP_STRING,  /* +... */
	RESP_ERROR,   /* -... */
	RESP_INTEGER, /* :... */
	RESP_BULK,    /* $... */
	RESP_ARRAY,   /* *... */
	RESP_NIL      /* $-1 or *-1 */
};

struct resp_value {
	enum resp_type type;
	long long integer;               /* RESP_INTEGER */
	const char *str;                 /* STRING, ERROR, BULK: not */
	size_t len;                      /* NUL-terminated */
	struct resp_value *elem;         /* ARRAY: n values */
	size_t n;
};

/* Encodes a command of argc arguments (argv[i] of lens[i] bytes) into
 * out.  Returns its length, or -1 when it does not fit in cap or argc
 * is 0 or above RESP_ARGS_MAX. */
long resp_encode(char *out, size_t cap, int argc, const char *const *argv,
		 const size_t *lens);
/* The same for NUL-terminated arguments. */
long resp_encode_str(char *out, size_t cap, int argc,
		     const char *const *argv);

/* Where a scan stopped: the arrays still open and their values left. */
struct resp_reader {
	size_t pos;                      /* bytes scanned and complete */
	int depth;
	long long left[RESP_DEPTH_MAX];  /* values still owed per level */
	size_t values;                   /* values seen in this reply */
};

enum resp_status { RESP_NEED_MORE = 0, RESP_BAD = -1 };

void resp_reader_init(struct resp_reader *r);
/* Scans buf (len bytes, the same start as the last call, perhaps longer)
 * for one whole reply.  Returns its length (> 0) when the reply is
 * complete, RESP_NEED_MORE, or RESP_BAD.  A reply holding more than
 * max_values values (arrays and their members) is bad: the caller's
 * arena must hold them all.  After a complete reply, decode it, drop its
 * bytes, and call resp_reader_init before the next scan. */
long resp_scan(struct resp_reader *r, const char *buf, size_t len,
	       size_t max_values);
/* Decodes the whole reply of len bytes that resp_scan found at buf into
 * arena (at least as many values as resp_scan's max_values).  Returns
 * the root, arena[0]. */
struct resp_value *resp_decode(const char *buf, size_t len,
			       struct resp_value *arena);

/* 1 when v is a bulk or simple string equal to s. */
int resp_is(const struct resp_value *v, const char *s);

#endif
