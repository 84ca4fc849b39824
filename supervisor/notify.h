/* notify.h — natterd's readiness for systemd (Type=notify), without
 * libsystemd: one datagram per state to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading
 * '@'), as sd_notify(3) describes.  Without the variable each call
 * does nothing. */
#ifndef NATTERD_NOTIFY_H
#define NATTERD_NOTIFY_H

#include <stddef.h>

/* Takes $NOTIFY_SOCKET and removes it from the environment, so the
 * broker and the sessions never speak for natterd (systemd's
 * NotifyAccess=main would ignore them anyway).  Returns 0, or -1 when
 * the name is unusable (too long for sun_path, not absolute and not
 * abstract): logged later by notify_send, natterd serves regardless. */
int notify_init(void);
/* Sends state ("READY=1", "STOPPING=1", ...; at most NOTIFY_STATE_MAX
 * bytes): 0 sent or nothing to do, -1 with errno set (logged once). */
#define NOTIFY_STATE_MAX 256
int notify_send(const char *state);
/* Whether $NOTIFY_SOCKET was set (for the upgrade's hand-over). */
const char *notify_socket_name(void);

#endif
