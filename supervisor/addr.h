/* addr.h — socket addresses as text, and as per-source keys. */
#ifndef NATTERD_ADDR_H
#define NATTERD_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Big enough for any IPv6 text form plus "[]:65535". */
#define ADDR_TEXT_MAX 64

/* One end of a connection, for the UCSPI variables: the address alone
 * ("127.0.0.1", "::1") and the port. */
struct endpoint {
	char ip[ADDR_TEXT_MAX];
	unsigned port;
};
/* Returns 0, or -1 for an address family not IPv4/IPv6. */
int addr_endpoint(const struct sockaddr *sa, struct endpoint *ep);
/* "127.0.0.1:4120" or "[::1]:4120", for the log. */
void addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Where a connection comes from, for per-source limits: an IPv4
 * address (also one mapped into IPv6) is its own source; IPv6
 * addresses are grouped by their /64, the usual size of one site's
 * network, so one host cannot escape its limit by changing address. */
struct source_key {
	uint8_t b[16];
};
void addr_source_key(const struct sockaddr *sa, struct source_key *key);
/* 0.0.0.0 or :: (a listener on every local address). */
int addr_is_any(const struct sockaddr *sa);
/* 127.0.0.0/8 or ::1. */
int addr_is_loopback(const struct sockaddr *sa);

#endif
