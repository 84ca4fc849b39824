/* fatal.c — one-line start-up errors and the cleanups before exit. */
#include "fatal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLEANUPS_MAX 4

static void (*cleanups[CLEANUPS_MAX])(void);
static int ncleanups;
static void (*status_fn)(int);
static const char *prog = "natterd";

void fatal_set_name(const char *name)
{
	prog = name;
}

void fatal_on_status(void (*fn)(int status))
{
	status_fn = fn;
}

void fatal_on_exit(void (*fn)(void))
{
	if (ncleanups < CLEANUPS_MAX)
		cleanups[ncleanups++] = fn;
}

static void vfatal(int status, const char *err, const char *fmt, va_list ap)
    __attribute__((noreturn));
static void vfatal(int status, const char *err, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "%s: %s%s%s\n", prog, msg, err ? ": " : "",
		err ? err : "");
	fflush(stderr);
	if (status_fn)
		status_fn(status);
	while (ncleanups > 0)
		cleanups[--ncleanups]();
	exit(status);
}

void fatal(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfatal(status, NULL, fmt, ap);
}

void fatal_errno(int status, const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vfatal(status, err, fmt, ap);
}
