/* xferproto.c — parsing the lines of file sharing (xferproto.h).
 * These read outside bytes (a data connection's first line, a server's
 * event line, a receiver's confirmation): every length is checked
 * before use, and tests/fuzz/fuzz_xfer.c runs them on anything. */
#include "xferproto.h"

#include <stdio.h>
#include <string.h>

#define MAGIC_LEN (sizeof XFER_MAGIC - 1)

/* The next space-separated word of line at *pos (advanced past it and
 * one space); its length, 0 at the end. */
static size_t word(const char *line, size_t len, size_t *pos,
		   const char **w)
{
	size_t i = *pos, n = 0;
	*w = line + i;
	while (i + n < len && line[i + n] != ' ')
		n++;
	*pos = i + n + (i + n < len);
	return n;
}

int xfer_is_request(const char *line, size_t len)
{
	return len > MAGIC_LEN && memcmp(line, XFER_MAGIC, MAGIC_LEN) == 0 &&
	       line[MAGIC_LEN] == ' ';
}

int xfer_token_ok(const char *s, size_t len)
{
	if (len != XFER_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int xfer_parse_request(const char *line, size_t len, struct xfer_request *r)
{
	const char *w;
	size_t pos = 0, n;
	if (!xfer_is_request(line, len))
		return -1;
	pos = MAGIC_LEN + 1;
	n = word(line, len, &pos, &w);
	if (n == 3 && memcmp(w, "PUT", 3) == 0)
		r->role = XFER_PUT;
	else if (n == 3 && memcmp(w, "GET", 3) == 0)
		r->role = XFER_GET;
	else
		return -1;
	n = word(line, len, &pos, &w);
	if (!xfer_token_ok(w, n) || pos != len || w + n != line + len)
		return -1;
	memcpy(r->token, w, n);
	r->token[n] = '\0';
	return 0;
}

int xfer_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int parse_hex32(const char *s, size_t len, uint32_t *v)
{
	uint32_t x = 0;
	if (len != 8)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     16;
		if (d == 16)
			return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

int xfer_parse_done(const char *line, size_t len, uint64_t *size,
		    uint32_t *crc)
{
	const char *w;
	size_t pos = 0, n = word(line, len, &pos, &w);
	if (n != 4 || memcmp(w, "DONE", 4) != 0)
		return -1;
	n = word(line, len, &pos, &w);
	if (xfer_parse_u64(w, n, size) != 0)
		return -1;
	n = word(line, len, &pos, &w);
	if (parse_hex32(w, n, crc) != 0 || w + n != line + len)
		return -1;
	return 0;
}

/* Copies text into msg with anything but printable ASCII as '?'. */
static void clean_copy(const char *s, size_t len, char *msg, size_t msglen)
{
	size_t o = 0;
	if (msglen == 0)
		return;
	for (size_t i = 0; i < len && o + 1 < msglen; i++)
		msg[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	msg[o] = '\0';
}

int xfer_parse_reply(const char *line, size_t len, uint64_t *size,
		     char *msg, size_t msglen)
{
	const char *w;
	size_t pos, n;
	if (!xfer_is_request(line, len))
		return -1;
	pos = MAGIC_LEN + 1;
	n = word(line, len, &pos, &w);
	if (n == 3 && memcmp(w, "ERR", 3) == 0) {
		clean_copy(line + pos, len - pos, msg, msglen);
		return 0;
	}
	if (n != 2 || memcmp(w, "OK", 2) != 0)
		return -1;
	n = word(line, len, &pos, &w);
	if (xfer_parse_u64(w, n, size) != 0 || w + n != line + len)
		return -1;
	return 1;
}

void xfer_size_text(uint64_t size, char *out, size_t outlen)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	if (size < 1000) {
		snprintf(out, outlen, "%llu byte%s", (unsigned long long)size,
			 size == 1 ? "" : "s");
		return;
	}
	double v = (double)size / 1000.0;
	size_t u = 0;
	while (v >= 999.95 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, outlen, "%.1f %s", v, units[u]);
}

/* The words after the verb: ID, then TOKEN (offered, get), then SIZE
 * and NAME (get: the rest of the line, a clean name). */
static int event_args(const char *line, size_t len, size_t pos,
		      struct xfer_event *e, int want_token, int want_file)
{
	const char *w;
	uint64_t id;
	size_t n = word(line, len, &pos, &w);
	if (xfer_parse_u64(w, n, &id) != 0 || id == 0 || id > 999999999)
		return -1;
	e->id = (unsigned)id;
	if (want_token) {
		n = word(line, len, &pos, &w);
		if (!xfer_token_ok(w, n))
			return -1;
		memcpy(e->token, w, n);
		e->token[n] = '\0';
	}
	if (want_file) {
		n = word(line, len, &pos, &w);
		if (xfer_parse_u64(w, n, &e->size) != 0 ||
		    !fname_is_clean(line + pos, len - pos))
			return -1;
		memcpy(e->name, line + pos, len - pos);
		e->name[len - pos] = '\0';
		return 0;
	}
	return w + n == line + len ? 0 : -1;
}

int xfer_parse_event(const char *line, size_t len, struct xfer_event *e)
{
	const char *w;
	size_t pos = 0, n = word(line, len, &pos, &w);
	memset(e, 0, sizeof *e);
	if (n == 0 || n >= sizeof e->verb)
		return -1;
	memcpy(e->verb, w, n);
	if (n == 7 && memcmp(w, "refused", 7) == 0)
		return pos == len && w + n == line + len ? 0 : -1;
	if (n == 7 && memcmp(w, "offered", 7) == 0)
		return event_args(line, len, pos, e, 1, 0);
	if (n == 3 && memcmp(w, "get", 3) == 0)
		return event_args(line, len, pos, e, 1, 1);
	if ((n == 8 && memcmp(w, "accepted", 8) == 0) ||
	    (n == 4 && memcmp(w, "gone", 4) == 0))
		return event_args(line, len, pos, e, 0, 0);
	return -1;
}
