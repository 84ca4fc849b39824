/* peer.h — who is on the other end of fds 0/1, for logs and LOGIN. */
#ifndef NATTER_PEER_H
#define NATTER_PEER_H

#include <stddef.h>

#define PEER_MAX 64

/* Describes the person's address as "ip port" (or "ip", or "local"),
 * from, in order: TCPREMOTEIP/TCPREMOTEPORT (UCSPI), REMOTE_ADDR/
 * REMOTE_PORT (systemd), REMOTE_HOST (xinetd), getpeername(2) on fd 0,
 * SSH_CLIENT's first two words (ssh).  Values that are not plain
 * addresses are ignored. */
void peer_describe(char *out, size_t size);

#endif
