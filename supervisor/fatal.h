/* fatal.h — start-up errors: one line on stderr, then exit.
 *
 * Before natterd serves, an error is the operator's to fix, so it is
 * printed as "natterd: what went wrong" and natterd exits at once,
 * leaving nothing behind: whatever was registered with fatal_on_exit
 * (the pid file, the broker socket) is removed first. */
#ifndef NATTERD_FATAL_H
#define NATTERD_FATAL_H

/* The name the lines start with: "natterd" unless set (natter-broker
 * links this module for its pid file). */
void fatal_set_name(const char *name);
void fatal(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Like fatal, with ": strerror(errno)" appended. */
void fatal_errno(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Registers a cleanup that fatal runs before exiting (at most 4). */
void fatal_on_exit(void (*fn)(void));
/* Registers the one function fatal tells its exit status first (the
 * daemon passes it to the command that started it). */
void fatal_on_status(void (*fn)(int status));

#endif
