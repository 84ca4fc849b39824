/* privs.h — dropping root for -u USER, after the ports are bound. */
#ifndef NATTERD_PRIVS_H
#define NATTERD_PRIVS_H

#include <sys/types.h>

struct user_ids {
	char name[64];
	uid_t uid;
	gid_t gid;
};

/* Looks user up; fatal if unknown, or if we are not root (unless the
 * user is who we already are). */
void privs_lookup(const char *user, struct user_ids *u);
/* Makes the broker socket's directory (0700) if missing and gives it
 * to the user, so the broker running as the user can use it. */
void privs_prepare_dir(const char *socket_path, const struct user_ids *u);
/* Before privs_drop: fatal unless the user can make the broker's
 * socket in its directory (a parent it cannot search, say). */
void privs_check_dir(const char *socket_path, const struct user_ids *u);
/* initgroups, setgid, setuid, each checked, then proves root cannot be
 * had back; fatal on any failure. */
void privs_drop(const struct user_ids *u);

#endif
