/* launch.h — making a handler's process, in a launcher (launcher.h):
 * vfork(2) where natterd knows
 * it is safe to use (Linux), posix_spawn(3) everywhere else.
 *
 * Both start the child without copying natterd's page tables, and
 * both return once the child has exec'd (or failed to); with vfork, and
 * with a posix_spawn that reports it (glibc's, musl's, the BSDs'), a
 * program that cannot be executed is reported here, not by a child
 * exiting 127.  What the child gets is the same on both paths:
 *   - connection fd dup2'd onto 0 and 1 (every other descriptor of
 *     natterd is close-on-exec; fd 2 stays natterd's log);
 *   - every signal at its default disposition, an empty signal mask;
 *   - the environment it is given.
 *
 * Why two: posix_spawn is the POSIX.1-2008 way, but glibc's maps and
 * unmaps a stack for each child and resets each of the 64 signals in
 * the child; vfork runs the child on the caller's stack and resets only
 * the few signals natterd does not leave at their default, which is
 * measurably cheaper (BENCHMARKS.md, section 1).  vfork is not in POSIX.1-2008, hence the fallback, which
 * `make check` tests on Linux too (build/portable/natterd, built with
 * -DNATTER_SPAWN_POSIX; tests/test_portable.py). */
#ifndef NATTERD_LAUNCH_H
#define NATTERD_LAUNCH_H

#include <sys/types.h>

/* Prepares for launching path (absolute) with argv.  Call it after the
 * last change natterd makes to a signal's disposition: the vfork path
 * notes here which signals the child must set back to their default.
 * Returns 0, or -1 with errno set. */
int launch_init(const char *path, char *const argv[]);

/* Runs the program on connection fd (fd > 2) with envp.  Returns the
 * child's pid, or -1 with errno set: the process could not be made
 * (EAGAIN, ENOMEM) or the program could not be executed (ENOENT,
 * EACCES...); no child is left then. */
pid_t launch(int fd, char *const envp[]);

#endif
