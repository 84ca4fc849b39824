/* rulefile.h — natterd's -x FILE: address rules (rules.h) read at
 * start and again on SIGHUP, and a denied address refused before any
 * program starts, with one line, as a banned one is (banwatch.h).
 *
 * A bad file (a bad line, unreadable, too big) at start is a usage
 * error: "natterd: FILE line N: why" and exit 100.  On SIGHUP it is
 * logged with its line number and the rules in force stay. */
#ifndef NATTERD_RULEFILE_H
#define NATTERD_RULEFILE_H

#include <sys/socket.h>

#define RULE_REFUSALS_LOGGED_PER_S 10

/* path: the -x file (absolute, for after the daemon's chdir), or NULL
 * for no rules.  Exits with EXIT_USAGE when the file is bad. */
void rulefile_init(const char *path);
/* SIGHUP: the file is read again; logged either way. */
void rulefile_reload(void);
/* 1 when the rules deny the connection fd from sa: it has been told so
 * in one line and closed (peer names it in the log); else 0. */
int rulefile_refused(int fd, const char *peer, const struct sockaddr *sa);

#endif
