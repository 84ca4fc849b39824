/* addr.c — socket addresses as text, and as per-source keys. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int addr_endpoint(const struct sockaddr *sa, struct endpoint *ep)
{
	const void *a;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		ep->port = ntohs(in->sin_port);
		a = &in->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		ep->port = ntohs(in6->sin6_port);
		a = &in6->sin6_addr;
	} else {
		return -1;
	}
	return inet_ntop(sa->sa_family, a, ep->ip, sizeof ep->ip) ? 0 : -1;
}

/* Unspecified: 0.0.0.0 or ::, a listener for every local address. */
int addr_is_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

void addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	struct endpoint ep;
	if (addr_endpoint(sa, &ep) != 0)
		snprintf(buf, len, "(unknown address)");
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ep.ip, ep.port);
	else
		snprintf(buf, len, "%s:%u", ep.ip, ep.port);
}

void addr_source_key(const struct sockaddr *sa, struct source_key *key)
{
	memset(key, 0, sizeof *key);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		key->b[10] = key->b[11] = 0xff;
		memcpy(key->b + 12, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			memcpy(key->b, &in6->sin6_addr, 16);
		else
			memcpy(key->b, &in6->sin6_addr, 8);
	}
}

int addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return b[12] == 127;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}
