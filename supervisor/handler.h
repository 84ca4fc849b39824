/* handler.h — which program serves each connection. */
#ifndef NATTERD_HANDLER_H
#define NATTERD_HANDLER_H

#include <stddef.h>

/* The program to exec, as an absolute path in out.  The default, with
 * argv NULL or argv[0] the bare name "natter-session" (which lives in
 * libexec, not in $PATH): natter-session beside the natterd executable
 * (a build tree) if there is one, else LIBEXECDIR/natter-session, else
 * ../libexec/natter/natter-session from natterd's directory (an
 * install moved from its PREFIX).  Another argv[0] without a '/' is
 * searched in $PATH.  Fatal if none is found. */
void handler_resolve(char *out, size_t len, char *const *argv,
		     const char *argv0);
/* Another program of natter's (natter-broker), found as the default
 * handler is: beside natterd, in LIBEXECDIR, in ../libexec/natter.
 * Absolute in out (PATH_MAX bytes); fatal if none is found. */
void handler_helper(char *out, size_t len, const char *name, const char *argv0);
/* Fatal unless path can be executed by who we are now. */
void handler_check(const char *path);

#endif
