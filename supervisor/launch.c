/* launch.c — a handler's process, by vfork or posix_spawn; see
 * launch.h. */
#include "launch.h"

#include <errno.h>
#include <signal.h>

#if defined(__linux__) && !defined(NATTER_SPAWN_POSIX)
#define LAUNCH_VFORK 1
#endif

#ifdef LAUNCH_VFORK
#include <sys/wait.h>
#include <unistd.h>

static struct {
	const char *path;
	char *const *argv;
	int reset[NSIG];  /* signals not at their default in natterd */
	int nreset;
} L;

int launch_init(const char *path, char *const argv[])
{
	L.path = path;
	L.argv = argv;
	L.nreset = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		/* fails only for the C library's own signals, which
		 * natterd never handles */
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			L.reset[L.nreset++] = sig;
	}
	return 0;
}

/* The child, on the parent's stack and memory until it execs: only
 * system calls, no locks, no return.  (The first one may run the
 * dynamic linker's lazy binding of dup2 or execve here, which takes no
 * lock for a symbol of the C library.)  Every signal is blocked on
 * entry, so no handler of natterd's can run here; each is set back to
 * its default before the mask is emptied.  The exec's error is left in
 * *err for the parent, which resumes once the child execs or exits. */
_Noreturn static void child(int fd, char *const envp[], volatile int *err)
{
	static const struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	sigemptyset(&none);
	for (int i = 0; i < L.nreset; i++)
		(void)sigaction(L.reset[i], &dfl, NULL); /* valid: cannot fail */
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(fd, 0) == 0 && dup2(fd, 1) == 1)
		execve(L.path, L.argv, envp);
	*err = errno;
	_exit(127);
}

pid_t launch(int fd, char *const envp[])
{
	volatile int child_err = 0;
	sigset_t all, old;
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old); /* valid: cannot fail */
	pid_t pid = vfork();
	if (pid == 0)
		child(fd, envp, &child_err);
	int err = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = err;
		return -1;
	}
	if (child_err) {
		/* the launcher reaps only here and in its loop */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = child_err;
		return -1;
	}
	return pid;
}

#else /* posix_spawn */
#include <spawn.h>

static struct {
	const char *path;
	char *const *argv;
	posix_spawnattr_t attr;
} L;

/* Every signal to its default disposition, not only those natterd
 * catches or ignores (SIGPIPE): one ignored by whoever started natterd
 * (a shell's background job ignores SIGINT and SIGQUIT) would
 * otherwise survive the exec.  An empty mask. */
int launch_init(const char *path, char *const argv[])
{
	sigset_t all, none;
	L.path = path;
	L.argv = argv;
	sigfillset(&all);
	sigemptyset(&none);
	int err = posix_spawnattr_init(&L.attr);
	if (!err)
		err = posix_spawnattr_setsigdefault(&L.attr, &all);
	if (!err)
		err = posix_spawnattr_setsigmask(&L.attr, &none);
	if (!err)
		err = posix_spawnattr_setflags(&L.attr, POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETSIGMASK);
	errno = err;
	return err ? -1 : 0;
}

pid_t launch(int fd, char *const envp[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err = posix_spawn_file_actions_init(&fa);
	if (err) {
		errno = err;
		return -1;
	}
	/* fd > 2, so both dup2s happen and clear close-on-exec on 0, 1;
	 * fd itself is close-on-exec (accept4) and goes with the exec. */
	err = posix_spawn_file_actions_adddup2(&fa, fd, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, fd, 1);
	if (!err)
		err = posix_spawn(&pid, L.path, &fa, &L.attr, L.argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	errno = err;
	return err ? -1 : pid;
}
#endif
