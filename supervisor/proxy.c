/* proxy.c — see proxy.h.  Every length is checked before the byte it
 * covers is read; nothing is copied but into fixed fields. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1_sig[] = "PROXY ";

/* The first n bytes of buf agree with the first n of sig (len bytes). */
static int prefix_of(const unsigned char *buf, size_t n, const void *sig,
		     size_t len)
{
	return memcmp(buf, sig, n < len ? n : len) == 0;
}

/* A decimal port, 0 to 65535, 1 to 5 digits, no leading zero. */
static int port_parse(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* An address of family af from s (n bytes, no NUL) and its port. */
static int v1_address(int af, const char *s, size_t n, const char *p,
		      size_t pn, struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN];
	uint16_t port;
	if (n == 0 || n >= sizeof text || port_parse(p, pn, &port) != 0)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(out, 0, sizeof *out);
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return inet_pton(AF_INET, text, &in->sin_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	return inet_pton(AF_INET6, text, &in6->sin6_addr) == 1 ? 0 : -1;
}

/* "PROXY TCP4 SRC DST SPORT DPORT", "PROXY TCP6 ...", "PROXY UNKNOWN..."
 * in line[0..n) (no CR LF); single spaces between words. */
static int v1_line(const char *line, size_t n, struct proxy_header *h)
{
	const char *w[6];
	size_t wl[6], k = 0, start = 0;
	if (n >= 13 && memcmp(line, "PROXY UNKNOWN", 13) == 0 &&
	    (n == 13 || line[13] == ' ')) {
		h->local = 1; /* the rest is to be ignored */
		return 0;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ')
			continue;
		if (k == 6 || i == start)
			return -1; /* a seventh word, or an empty one */
		w[k] = line + start;
		wl[k++] = i - start;
		start = i + 1;
	}
	if (k != 6 || wl[1] != 4 || memcmp(w[1], "TCP", 3) != 0 ||
	    (w[1][3] != '4' && w[1][3] != '6'))
		return -1;
	int af = w[1][3] == '4' ? AF_INET : AF_INET6;
	if (v1_address(af, w[2], wl[2], w[4], wl[4], &h->src) != 0 ||
	    v1_address(af, w[3], wl[3], w[5], wl[5], &h->dst) != 0)
		return -1;
	return 0;
}

static int v1_parse(const unsigned char *buf, size_t n,
		    struct proxy_header *h)
{
	size_t limit = n < PROXY_V1_MAX ? n : PROXY_V1_MAX;
	for (size_t i = 0; i + 1 < limit; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n') {
			h->version = 1;
			h->len = i + 2;
			return v1_line((const char *)buf, i, h) == 0 ? 1 : -1;
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -1; /* the line is printable ASCII */
	}
	return n >= PROXY_V1_MAX ? -1 : 0;
}

static void v2_inet(struct sockaddr_storage *ss, const unsigned char *a,
		    const unsigned char *port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	in->sin_family = AF_INET;
	memcpy(&in->sin_addr, a, 4);
	memcpy(&in->sin_port, port, 2); /* both in network order */
}

static void v2_inet6(struct sockaddr_storage *ss, const unsigned char *a,
		     const unsigned char *port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof *ss);
	in6->sin6_family = AF_INET6;
	memcpy(&in6->sin6_addr, a, 16);
	memcpy(&in6->sin6_port, port, 2);
}

static int v2_parse(const unsigned char *buf, size_t n,
		    struct proxy_header *h)
{
	if (n < PROXY_V2_FIXED)
		return n > 12 && (buf[12] >> 4) != 2 ? -1 : 0;
	size_t body = (size_t)buf[14] << 8 | buf[15];
	unsigned cmd = buf[12] & 0x0f, fam = buf[13];
	if ((buf[12] >> 4) != 2 || cmd > 1 ||
	    PROXY_V2_FIXED + body > PROXY_HEADER_MAX)
		return -1;
	if (n < PROXY_V2_FIXED + body)
		return 0;
	const unsigned char *a = buf + PROXY_V2_FIXED;
	h->version = 2;
	h->len = PROXY_V2_FIXED + body;
	if (cmd == 0 || fam == 0x00) { /* LOCAL, or UNSPEC: own addresses */
		h->local = 1;
		return 1;
	}
	if (fam == 0x11 && body >= 12) { /* TCP over IPv4 */
		v2_inet(&h->src, a, a + 8);
		v2_inet(&h->dst, a + 4, a + 10);
		return 1;
	}
	if (fam == 0x21 && body >= 36) { /* TCP over IPv6 */
		v2_inet6(&h->src, a, a + 32);
		v2_inet6(&h->dst, a + 16, a + 34);
		return 1;
	}
	return -1; /* UDP, UNIX, or addresses longer than the body */
}

int proxy_parse(const unsigned char *buf, size_t n, struct proxy_header *h)
{
	memset(h, 0, sizeof *h);
	if (n == 0)
		return 0;
	if (prefix_of(buf, n, v2_sig, sizeof v2_sig))
		return n < sizeof v2_sig ? 0 : v2_parse(buf, n, h);
	if (prefix_of(buf, n, v1_sig, sizeof v1_sig - 1))
		return n < sizeof v1_sig - 1 ? 0 : v1_parse(buf, n, h);
	return -1;
}
