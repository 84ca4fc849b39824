/* child.h — the handler's side of a fork: from accepted socket to exec.
 *
 * The handler gets the connection on fds 0 and 1, natterd's log on fd 2
 * and nothing else; default signal dispositions and an empty signal
 * mask; natterd's environment plus the UCSPI variables PROTO=TCP,
 * TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT (set once in the
 * parent: NATTER_BROKER, NATTER_LOG, NATTER_USERS, NATTER_MOTD). */
#ifndef NATTERD_CHILD_H
#define NATTERD_CHILD_H

#include <sys/socket.h>

/* The signals natterd catches, 0-terminated (for selfpipe). */
extern const int natterd_signals[];

/* Puts back what natterd changed about signals: the caught ones and
 * SIGPIPE to their defaults, and an empty mask. */
void child_reset_signals(void);
/* In a forked child: sets up fds 0, 1 and the environment for the
 * connection fd from peer, and execs path with argv.  Never returns:
 * a failed exec is logged and exits 111. */
void child_exec(int fd, const struct sockaddr *peer, const char *path,
		char *const argv[]) __attribute__((noreturn));

#endif
