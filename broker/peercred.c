/* peercred.c — SO_PEERCRED on Linux, getpeereid(3) on the BSDs and
 * macOS.  Neither is POSIX, hence the one #if here. */
#if defined(__linux__)
#define _GNU_SOURCE 1 /* struct ucred */
#endif
#include "peercred.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int peercred_uid(int fd, uid_t *uid)
{
#if defined(__linux__)
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return -1;
	*uid = cred.uid;
	return 0;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
	gid_t gid;
	return getpeereid(fd, uid, &gid);
#else
	(void)fd;
	(void)uid;
	errno = ENOSYS;
	return -1;
#endif
}
