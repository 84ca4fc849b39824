/* peercred.h — who is on the other end of a UNIX-domain socket. */
#ifndef NATTER_BROKER_PEERCRED_H
#define NATTER_BROKER_PEERCRED_H

#include <sys/types.h>

/* 0 with *uid set, or -1 with errno set (ENOSYS where the system has no
 * way to ask). */
int peercred_uid(int fd, uid_t *uid);

#endif
