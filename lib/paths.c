/* paths.c — the broker socket's default location. */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fits(int n, size_t size)
{
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

int broker_default_path(char *buf, size_t size)
{
	uid_t uid = getuid();
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (uid == 0)
		return fits(snprintf(buf, size, "/run/natter/broker.sock"), size);
	if (xdg && xdg[0] == '/')
		return fits(snprintf(buf, size, "%s/natter/broker.sock", xdg),
			    size);
	return fits(snprintf(buf, size, "/tmp/natter-%lu/broker.sock",
			     (unsigned long)uid), size);
}

int broker_path(char *buf, size_t size, const char *opt)
{
	const char *env = getenv(BROKER_ENV);
	if (opt && *opt)
		return fits(snprintf(buf, size, "%s", opt), size);
	if (env && *env)
		return fits(snprintf(buf, size, "%s", env), size);
	return broker_default_path(buf, size);
}
