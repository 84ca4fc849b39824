/* cfiles_child.c — the child processes of natter's transfers
 * (cfiles.h): started with two pipes, a result line back and a life
 * line forward (its end of file: natter is gone, stop), reaped when
 * their result pipe closes. */
#include "cfiles.h"
#include "io.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* "File ID (NAME): what happened", and f is freed (unless running). */
static void note_error(struct cfiles *cf, struct cfile *f, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));
static void note_error(struct cfiles *cf, struct cfile *f, const char *fmt,
		       ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cfiles_note(cf, "File %u (%s): %s", f->id, f->name, msg);
	if (f->st != CF_RUNNING)
		cfiles_release(f);
}

/* In the child: the signals natter catches back to their defaults (a
 * /cancel's SIGTERM must end the child, not reach natter's self-pipe),
 * fds 0 and 1 on /dev/null, and no descriptor but those it needs (the
 * chat's socket above all: the server must see natter's end when
 * natter ends). */
static void child_setup(const struct cfile *f, int result, int life,
			int dir)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGWINCH, SIGTSTP, SIGCONT };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)signal(sigs[i], SIG_DFL);
	/* the terminal or the script's pipes are natter's, not ours */
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		if (null > 2)
			(void)close(null);
	}
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (fd != result && fd != life && fd != f->fd && fd != dir)
			(void)close(fd);
}

static void child_run(struct cfiles *cf, struct cfile *f, int result,
		      int life)
{
	static char out[512];
	struct cxfer x = { .role = f->role, .id = f->id, .size = f->size,
			   .host = cf->host, .port = cf->port,
			   .family = cf->family, .file = f->fd,
			   .dir = cf->dir, .dirname = cf->dirname,
			   .life = life, .rate = cf->rate };
	memcpy(x.token, f->token, sizeof x.token);
	memcpy(x.name, f->name, sizeof x.name);
	child_setup(f, result, life, cf->dir);
	/* bulk work: the person's chat goes first; if the system says no,
	 * the transfer runs at natter's priority, no worse for it */
	errno = 0;
	if (nice(CXFER_NICE) == -1 && errno != 0)
		errno = 0;
	out[0] = '\0';
	cxfer_run(&x, out, sizeof out - 1);
	size_t n = strlen(out);
	out[n++] = '\n';
	(void)io_write_all(result, out, n, -1);
	_exit(0);
}

void cfiles_start(struct cfiles *cf, struct cfile *f)
{
	int res[2], life[2];
	if (pipe(res) != 0) {
		note_error(cf, f, "cannot start: %s", strerror(errno));
		return;
	}
	if (pipe(life) != 0) {
		close(res[0]);
		close(res[1]);
		note_error(cf, f, "cannot start: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(res[0]);
		close(life[1]);
		child_run(cf, f, res[1], life[0]);
	}
	int e = errno;
	close(res[1]);
	close(life[0]);
	if (pid < 0 || io_set_cloexec(res[0]) != 0 ||
	    io_set_cloexec(life[1]) != 0 || io_set_nonblock(res[0], 1) != 0) {
		close(res[0]);
		close(life[1]);
		if (pid > 0) { /* its life line is closed: it stops */
			(void)kill(pid, SIGTERM);
			(void)waitpid(pid, NULL, 0);
		}
		note_error(cf, f, "cannot start: %s", strerror(pid < 0 ? e :
								errno));
		return;
	}
	f->st = CF_RUNNING;
	f->pid = pid;
	f->result = res[0];
	f->life = life[1];
	f->nout = 0;
}

size_t cfiles_pollfds(const struct cfiles *cf, struct pollfd *p)
{
	size_t n = 0;
	for (size_t i = 0; i < CFILES_MAX; i++)
		if (cf->f[i].st == CF_RUNNING)
			p[n++] = (struct pollfd){ .fd = cf->f[i].result,
						  .events = POLLIN };
	return n;
}

/* The child's end: its line, or what its status says. */
static void finished(struct cfiles *cf, struct cfile *f)
{
	int st = 0;
	pid_t r;
	do
		r = waitpid(f->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	f->out[f->nout < sizeof f->out ? f->nout : sizeof f->out - 1] = '\0';
	f->out[strcspn(f->out, "\n")] = '\0';
	if (f->role == XFER_GET) { /* killed (a /cancel): its part goes */
		char part[64];
		snprintf(part, sizeof part, CXFER_PART_FMT, f->id, (long)f->pid);
		(void)unlinkat(cf->dir, part, 0);
	}
	f->st = CF_FREE; /* note_error then releases it */
	close(f->result);
	close(f->life);
	f->result = f->life = -1;
	if (!strncmp(f->out, "ok ", 3))
		cfiles_note(cf, "%s", f->out + 3);
	else if (f->ended)
		; /* the server's line said why (cfiles_event) */
	else if (f->cancelled)
		note_error(cf, f, "cancelled.");
	else if (!strncmp(f->out, "fail ", 5))
		cfiles_note(cf, "%s", f->out + 5);
	else if (r > 0 && WIFSIGNALED(st))
		note_error(cf, f, "the transfer process was killed (signal "
			   "%d).", WTERMSIG(st));
	else
		note_error(cf, f, "the transfer process ended without a word.");
	cfiles_release(f);
}

void cfiles_check(struct cfiles *cf)
{
	for (size_t i = 0; i < CFILES_MAX; i++) {
		struct cfile *f = &cf->f[i];
		if (f->st != CF_RUNNING)
			continue;
		char buf[256];
		ssize_t n = io_read_some(f->result, buf, sizeof buf);
		if (n > 0) {
			size_t room = sizeof f->out - 1 - f->nout;
			size_t k = (size_t)n < room ? (size_t)n : room;
			memcpy(f->out + f->nout, buf, k);
			f->nout += k;
		} else if (n < 0) {
			finished(cf, f); /* its end of file (or an error) */
		}
	}
}
