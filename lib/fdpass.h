/* fdpass.h — a message with one descriptor over a UNIX socket
 * (SCM_RIGHTS): natterd hands its launchers their connections, the
 * broker hands its syncer the log files, a session hands another its
 * client's socket. */
#ifndef NATTER_FDPASS_H
#define NATTER_FDPASS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Descriptors a received message may carry before the rest are cut
 * off by the kernel (MSG_CTRUNC); the extra ones are closed. */
#define FDPASS_MAX 4

/* Sends len bytes of buf with fd attached, in one sendmsg (retried on
 * EINTR); flags as sendmsg's (MSG_DONTWAIT, MSG_NOSIGNAL).  Returns
 * what sendmsg did: the bytes sent (all of them, on a datagram or
 * seqpacket socket), or -1 with errno. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd,
		    int flags);

/* Receives at most len bytes into buf, in one recvmsg (retried on
 * EINTR), with the descriptor that came with them in *fd (close-on-exec
 * where the system can say so at once), -1 if none; any others are
 * closed.  Returns recvmsg's count (0 at end of file), or -1 with
 * errno. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd);

/* The descriptors in mh's control data: the first into *fd when *fd
 * is -1, the rest closed.  Returns how many came (for a caller that
 * wants exactly one). */
int fdpass_take(struct msghdr *mh, int *fd);

#endif
