/* test_launcher_reaped.c — a launcher that natterd reaped before it
 * read the end of its socket (supervisor/launchers.c) is accounted
 * for without a signal: its pid is free once reaped and may already
 * name another process, so launchers_ended must not kill(2) it.
 *
 * kill is replaced here (this program's own definition is the one its
 * modules link to): it records each call and passes it on. */
#include "../../supervisor/launchers.h"
#include "../../supervisor/launchproto.h"
#include "io.h"
#include "log.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	int calls;
	pid_t pid;
	int sig;
} K;

int kill(pid_t pid, int sig)
{
	K.calls++;
	K.pid = pid;
	K.sig = sig;
	return (int)syscall(SYS_kill, pid, sig);
}

static int lost;

static void on_started(uint32_t id, pid_t pid, int li, long long now)
{
	(void)id, (void)pid, (void)li, (void)now;
}

static void on_failed(uint32_t id, int err, long long now)
{
	(void)id, (void)err, (void)now;
}

static void on_ended(pid_t pid, int status, long long now)
{
	(void)pid, (void)status, (void)now;
}

static void on_lost(int li, long long now)
{
	(void)li, (void)now;
	lost++;
}

static const struct launcher_events events = {
	on_started, on_failed, on_ended, on_lost
};

static void nothing(void)
{
}

static char *argv[] = { "/bin/true", NULL };
static struct launchers_params params = { "/bin/true", argv, nothing,
					  &events };

int main(void)
{
	log_init("test_launcher_reaped", LOG_TO_STDERR);
	signal(SIGPIPE, SIG_IGN);
	CHECK(launchers_start(1, &params, io_now_ms()) == 0);
	pid_t pid;
	int fd, st;
	long long started;
	launchers_export(0, &pid, &fd, &started);
	CHECK(pid > 0 && fd >= 0);
	/* a request that breaks the protocol: the launcher exits */
	struct launch_req bad;
	memset(&bad, 0, sizeof bad);
	bad.type = 99;
	CHECK(write(fd, &bad, sizeof bad) == (ssize_t)sizeof bad);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	/* reaped first, as natterd's reap can before its socket is read */
	K.calls = 0;
	CHECK(launchers_ended(pid, st, io_now_ms()) == 1);
	CHECK(K.calls == 0);          /* no signal to a reaped pid */
	CHECK(lost == 1);             /* its starts accounted for */
	CHECK(launchers_pick() == -1);
	CHECK(launchers_running() == 0);
	CHECK(launchers_due(io_now_ms()) >= 0); /* a restart scheduled */
	launchers_stop();
	return UNIT_DONE();
}
