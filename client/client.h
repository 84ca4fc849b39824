/* client.h — what natter's parts share: exit statuses, options and the
 * two ways of running (a person at a terminal, or a script). */
#ifndef NATTER_CLIENT_H
#define NATTER_CLIENT_H

#include "csess.h"

/* Exit statuses, documented in natter(1). */
#define NATTER_EXIT_OK 0      /* the server closed, or you left */
#define NATTER_EXIT_USAGE 1   /* bad arguments or password source */
#define NATTER_EXIT_CONNECT 2 /* could not resolve or connect */
#define NATTER_EXIT_LOGIN 3   /* login failed or was cut short */
#define NATTER_EXIT_LOST 4    /* connection or output lost */
#define NATTER_EXIT_SIGNAL 128 /* + the signal's number */

/* Bytes read from the server at once. */
#define CLIENT_READ_CHUNK 4096
/* What may wait to be written to the terminal or standard output.
 * The socket is not read while less than DISPLAY_HEADROOM is free, so
 * the queue never overflows: the server's TCP window fills instead. */
#define DISPLAY_MAX (256 * 1024)
#define DISPLAY_HEADROOM (32 * 1024)

/* Runs the session with a person at the terminal on fds 0 and 1. */
int client_interactive(struct csess *s);
/* Runs the session with lines from fd 0, output to fd 1. */
int client_scripted(struct csess *s);
/* Puts the terminal back, writes what display still holds (waiting
 * at most a few seconds), prints msg if not empty; returns status. */
int client_end(struct outq *display, int status, const char *msg);
/* The status for a connection that ended by end of file (err 0) or
 * error err, or for signal signo (if not 0); prints its message. */
int client_end_session(struct csess *s, struct outq *display, int err,
		       int signo);

#endif
