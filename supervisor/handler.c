/* handler.c — finding the handler program. */
#include "handler.h"
#include "exitcode.h"
#include "fatal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_HANDLER "natter-session"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec/natter"
#endif

static int is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* The directory natterd's executable is in, or "" if unknown. */
static void self_dir(char *dir, size_t len, const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	dir[0] = '\0';
	if (n > 0) {
		buf[n] = '\0';
	} else if (!argv0 || !strchr(argv0, '/') || !realpath(argv0, buf)) {
		return;
	}
	char *slash = strrchr(buf, '/');
	if (slash && (size_t)(slash - buf) < len) {
		*slash = '\0';
		snprintf(dir, len, "%s", buf);
	}
}

/* name beside natterd, else in LIBEXECDIR, else in ../libexec/natter
 * from natterd's directory; 0 if found (absolute in out), else -1
 * with out naming where it should be. */
static int find_default(char *out, size_t len, const char *name,
			const char *argv0)
{
	char dir[PATH_MAX];
	self_dir(dir, sizeof dir, argv0);
	if (dir[0] && (size_t)snprintf(out, len, "%s/%s", dir, name) < len &&
	    is_executable_file(out))
		return 0;
	snprintf(out, len, "%s/%s", LIBEXECDIR, name);
	if (is_executable_file(out))
		return 0;
	/* An install moved from its PREFIX: sbin/natterd finds
	 * libexec/natter/NAME beside its own directory. */
	if (dir[0] && (size_t)snprintf(out, len, "%s/../libexec/natter/%s",
				       dir, name) < len &&
	    is_executable_file(out))
		return 0;
	snprintf(out, len, "%s/%s", LIBEXECDIR, name);
	return -1;
}

void handler_helper(char *out, size_t len, const char *name, const char *argv0)
{
	char found[PATH_MAX];
	if (find_default(found, sizeof found, name, argv0) != 0)
		fatal(EXIT_USAGE, "%s not found: %s", name, found);
	if (len < PATH_MAX)
		fatal(EXIT_USAGE, "helper path buffer too small");
	if (!realpath(found, out))
		fatal_errno(EXIT_USAGE, "cannot use %s", found);
}

/* A name without '/' is looked for in $PATH, as execvp would. */
static void find_in_path(char *out, size_t len, const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if ((size_t)snprintf(out, len, "%.*s%s%s", (int)n, n ? path : ".",
				     "/", name) < len && is_executable_file(out))
			return;
		path += n;
		if (*path == ':')
			path++;
	}
	fatal(EXIT_USAGE, "handler not found in PATH: %s", name);
}

void handler_resolve(char *out, size_t len, char *const *argv,
		     const char *argv0)
{
	char found[PATH_MAX];
	/* natter-session lives in libexec, not in PATH: its bare name
	 * means the default, so that its options can be given. */
	if (!argv || strcmp(argv[0], DEFAULT_HANDLER) == 0) {
		if (find_default(found, sizeof found, DEFAULT_HANDLER,
				 argv0) != 0)
			fatal(EXIT_USAGE, "handler not found: %s (give one "
			      "after --)", found);
	} else if (!strchr(argv[0], '/')) {
		find_in_path(found, sizeof found, argv[0]);
	} else if (strlen(argv[0]) >= sizeof found) {
		fatal(EXIT_USAGE, "handler path too long: %s", argv[0]);
	} else {
		snprintf(found, sizeof found, "%s", argv[0]);
	}
	/* Absolute, since the daemon works from / */
	if (len < PATH_MAX)
		fatal(EXIT_USAGE, "handler path buffer too small");
	if (!realpath(found, out))
		fatal_errno(EXIT_USAGE, "cannot use handler %s", found);
	handler_check(out);
}

void handler_check(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		fatal_errno(EXIT_USAGE, "cannot use handler %s", path);
	if (!S_ISREG(st.st_mode))
		fatal(EXIT_USAGE, "handler %s is not a file", path);
	if (access(path, X_OK) != 0)
		fatal_errno(EXIT_USAGE, "cannot execute handler %s", path);
}
