/* sdlisten.h — listeners passed by systemd's socket activation
 * (sd_listen_fds(3), without libsystemd): $LISTEN_PID is natterd's pid
 * and $LISTEN_FDS counts the descriptors from 3 up.  Only the
 * Accept=no form: each must be a listening TCP socket (a stream
 * socket, IPv4 or IPv6, SO_ACCEPTCONN), else natterd does not start.
 * Passed sockets replace the -l addresses, so one natterd.service runs
 * alike with and without its natterd.socket. */
#ifndef NATTERD_SDLISTEN_H
#define NATTERD_SDLISTEN_H

#include "listen.h"

#define SD_LISTEN_FDS_START 3

/* Adds the passed sockets to ls (non-blocking, close-on-exec) and
 * removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the
 * environment, so no child takes them for its own.  Returns how many
 * were adopted (0 when none were passed, or they were for another
 * process); a bad one is a fatal start-up error naming it. */
int sdlisten_adopt(struct listeners *ls);

#endif
