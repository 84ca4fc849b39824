/* banwatch.h — natterd's view of the broker's bans: the bans file in
 * the state directory (lib/bans.h), read again whenever it changed, so
 * a banned address is refused before any program starts.  natterd
 * stays chat-free: it reads addresses only (a name ban is the
 * broker's, at log-in).
 *
 * Cost: one stat(2) of the file per accepted connection; the file is
 * read again only when its inode, size or modification time differ
 * (the broker replaces it by rename, so each change is a new inode).
 * A file that cannot be read keeps the last bans read. */
#ifndef NATTERD_BANWATCH_H
#define NATTERD_BANWATCH_H

#include <sys/socket.h>

/* dir: the state directory (absolute), or NULL for no bans. */
void banwatch_init(const char *dir);
/* 1 when the connection fd from sa is banned: it has been told so in
 * one line and closed (peer names it in the log); else 0. */
int banwatch_refused(int fd, const char *peer, const struct sockaddr *sa);

#endif
