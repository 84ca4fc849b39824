/* udp_client — the seed's UDP client: one sendto, then recvfrom of the
 * answer, printed on stdout with a newline.
 *
 *   udp_client HOST PORT MESSAGE [timeout-seconds]
 *
 * Exit 0 with an answer, 1 when none came within the timeout (default
 * 5 s: UDP may lose it), 100 for a usage error, 111 for another. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ANSWER_BYTES 4096

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	char buf[ANSWER_BYTES];
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: udp_client host port message [timeout]\n");
		return 100;
	}
	struct timeval tv = { argc == 5 ? atol(argv[4]) : 5, 0 };
	int err = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (err) {
		fprintf(stderr, "udp_client: %s\n", gai_strerror(err));
		return 111;
	}
	int sd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (sd < 0 ||
	    setsockopt(sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    sendto(sd, argv[3], strlen(argv[3]), 0, ai->ai_addr,
		   ai->ai_addrlen) < 0) {
		perror("udp_client");
		return 111;
	}
	ssize_t n;
	do
		n = recvfrom(sd, buf, sizeof buf - 1, 0, NULL, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (n < 0) {
		perror("udp_client: recvfrom");
		return 111;
	}
	buf[n] = '\0';
	printf("%s\n", buf);
	freeaddrinfo(ai);
	return 0;
}
