/* fdnew.h — descriptors born non-blocking and close-on-exec.
 *
 * pipe2(2), SOCK_NONBLOCK | SOCK_CLOEXEC and accept4(2) (POSIX.1-2024)
 * set both flags in the call that makes the descriptor; where the C
 * library lacks them, the flags are set after, with fcntl(2) (and the
 * descriptor closed if that fails).  One system call instead of five
 * matters where a descriptor is made per person: each session makes a
 * signal pipe and a broker socket as it starts, natterd accepts every
 * connection and the broker every session (BENCHMARKS.md, session
 * start). */
#ifndef NATTER_FDNEW_H
#define NATTER_FDNEW_H

#include <sys/socket.h>

/* A pipe, both ends non-blocking and close-on-exec.  0, or -1. */
int fdnew_pipe(int p[2]);
/* socket(domain, type, 0), non-blocking and close-on-exec.  The
 * descriptor, or -1. */
int fdnew_socket(int domain, int type);
/* accept(2) on lfd, the connection close-on-exec, and non-blocking if
 * nonblock, else blocking whatever the listener is.  The descriptor,
 * or -1 with accept's errno. */
int fdnew_accept(int lfd, struct sockaddr *peer, socklen_t *len,
		 int nonblock);

#endif
