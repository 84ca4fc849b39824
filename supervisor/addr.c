/* addr.c — socket addresses as text, and as per-source keys. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int addr_ip_port(const struct sockaddr *sa, char *ip, size_t iplen,
		 unsigned *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, ip,
				 (socklen_t)iplen) ? 0 : -1;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		*port = ntohs(in6->sin6_port);
		return inet_ntop(AF_INET6, &in6->sin6_addr, ip,
				 (socklen_t)iplen) ? 0 : -1;
	}
	return -1;
}

void addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[ADDR_TEXT_MAX];
	unsigned port;
	if (addr_ip_port(sa, ip, sizeof ip, &port) != 0)
		snprintf(buf, len, "(unknown address)");
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
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
