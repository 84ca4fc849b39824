/* proxy.h — the PROXY protocol header, versions 1 (text) and 2
 * (binary), as HAProxy's proxy-protocol.txt specifies them: what a
 * TLS terminator or load balancer in front of natterd writes first on
 * each connection to say whom it carries.  A parser of outside bytes
 * only; supervisor/proxywait.c reads the bytes.
 *
 * Bounds: a version 1 line is at most PROXY_V1_MAX bytes with its CR
 * LF (the specification's 107); a version 2 header at most
 * PROXY_HEADER_MAX bytes (16 fixed, then addresses and TLVs, which are
 * skipped); anything longer is refused, before more is read. */
#ifndef NATTERD_PROXY_H
#define NATTERD_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXY_V1_MAX 107
#define PROXY_V2_FIXED 16
#define PROXY_HEADER_MAX (PROXY_V2_FIXED + 512)

struct proxy_header {
	size_t len;     /* the header's bytes, all of them to be consumed */
	int version;    /* 1 or 2 */
	/* 1: LOCAL (v2), UNKNOWN (v1) or an unspecified family: the
	 * connection's own addresses stand (a proxy's health check). */
	int local;
	struct sockaddr_storage src, dst;  /* the client's and the address
					      it connected to, when !local */
};

/* Parses the start of a connection's bytes, buf[0..n).  Returns 1 when
 * a whole valid header is there (h filled; h->len bytes to consume),
 * 0 when what is there is a valid beginning and more is needed, -1
 * when it is not a header (malformed, unsupported, or too long). */
int proxy_parse(const unsigned char *buf, size_t n, struct proxy_header *h);

#endif
