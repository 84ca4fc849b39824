/* udp_echo — a UDP echo service for natterd's udp: listeners (inetd's
 * "dgram wait"), written as the seed's UDP echo server is: recvfrom,
 * then sendto the same bytes back to whoever sent them, as many times
 * as datagrams come.
 *
 *   udp_echo [-i] [idle-seconds]
 *
 * fd 0 is the bound UDP socket (natterd's); answers go out on it too.
 * It exits 0 after idle-seconds (default 5) without a datagram, so
 * natterd polls the socket again.  -i puts "PID PROTO UDPLOCALIP
 * UDPLOCALPORT: " before each answer (tests/test_udp.py checks the
 * environment and which process answered).  Exit 111 on a socket
 * error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DGRAM_BYTES 2048   /* a longer datagram is cut (recvfrom's rule) */

static const char *env_or(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "-";
}

int main(int argc, char **argv)
{
	char buf[DGRAM_BYTES], out[DGRAM_BYTES + 256];
	struct sockaddr_storage cli;
	int info = argc > 1 && strcmp(argv[1], "-i") == 0;
	long idle = argc > 1 + info ? atol(argv[1 + info]) : 5;
	struct timeval tv = { idle > 0 ? idle : 5, 0 };

	if (setsockopt(0, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
		perror("udp_echo: setsockopt");
		return 111;
	}
	for (;;) {
		socklen_t len = sizeof cli;
		ssize_t n = recvfrom(0, buf, sizeof buf, 0,
				     (struct sockaddr *)&cli, &len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;      /* idle: natterd takes the socket back */
		if (n < 0 && errno == ECONNREFUSED)
			continue;      /* an earlier answer found no one */
		if (n < 0) {
			perror("udp_echo: recvfrom");
			return 111;
		}
		size_t m = 0;
		if (info)
			m = (size_t)snprintf(out, 256, "%ld %s %s %s: ",
					     (long)getpid(), env_or("PROTO"),
					     env_or("UDPLOCALIP"),
					     env_or("UDPLOCALPORT"));
		if (m >= 256)
			m = 255;
		memcpy(out + m, buf, (size_t)n);
		if (sendto(0, out, m + (size_t)n, 0, (struct sockaddr *)&cli,
			   len) < 0 && errno != EINTR)
			perror("udp_echo: sendto"); /* that one peer: go on */
	}
}
