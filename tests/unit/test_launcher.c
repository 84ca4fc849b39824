/* test_launcher.c — natterd's launchers (supervisor/launchers.c, the
 * natterd side; supervisor/launcher.c, the process) and their protocol
 * (supervisor/launchproto.h), driven as natterd's loop drives them,
 * with the session accounting of supervisor/sessions.c: a start, a
 * handler that cannot be executed (FAILED), a launcher that is full
 * (no more starts until it answers), and a launcher killed mid-start
 * (its start and its running session accounted for, the launcher
 * restarted, the next start served).
 *
 * Each case runs in its own child, whose children the launchers are;
 * "connections" are socketpairs, whose far end the test reads. */
#include "../../supervisor/launchers.h"
#include "../../supervisor/sessions.h"
#include "io.h"
#include "log.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	int started, failed, ended, lost;
	pid_t pid, ended_pid;
	int err, status, order_ok;
	unsigned lost_starts, lost_sessions;
} E = { .order_ok = 1 };

static void on_started(uint32_t id, pid_t pid, int li, long long now)
{
	struct start st;
	(void)now;
	E.started++;
	E.pid = pid;
	if (sessions_start_take(id, &st) == 0) {
		close(st.fd);
		sessions_add(pid, li, &st);
	}
}

static void on_failed(uint32_t id, int err, long long now)
{
	struct start st;
	(void)now;
	E.failed++;
	E.err = err;
	if (sessions_start_take(id, &st) == 0)
		close(st.fd);
}

static void on_ended(pid_t pid, int status, long long now)
{
	if (pid != E.pid || E.started == 0)
		E.order_ok = 0; /* an end before its start */
	E.ended++;
	E.ended_pid = pid;
	E.status = status;
	sessions_end(pid, status, now);
}

static void on_lost(int li, long long now)
{
	struct start st;
	E.lost++;
	while (sessions_start_take_of(li, &st) == 0) {
		close(st.fd);
		E.lost_starts++;
	}
	E.lost_sessions += sessions_drop_launcher(li, now);
}

static const struct launcher_events events = {
	on_started, on_failed, on_ended, on_lost
};

static void nothing(void)
{
}

static struct launchers_params params = { NULL, NULL, nothing, &events };

/* natterd's loop, for up to ms or until *counter reaches want. */
static void pump(const int *counter, int want, int ms)
{
	long long end = io_now_ms() + ms;
	while (*counter < want && io_now_ms() < end) {
		struct pollfd pfd[LAUNCHERS_MAX];
		int n = launchers_pollfds(pfd);
		int r = poll(pfd, (nfds_t)n, 20);
		long long now = io_now_ms();
		if (r > 0)
			launchers_ready(pfd, n, now);
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			launchers_ended(pid, st, now);
		launchers_tick(now);
	}
}

/* Hands a new connection to launcher li; returns the test's end. */
static int send_conn(int li, uint32_t id)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	struct endpoint remote = { "192.0.2.1", 50000 };
	struct endpoint local = { "192.0.2.2", 4120 };
	struct start st = { .id = id, .launcher = li, .fd = sv[0],
			    .source = -1, .accepted_ms = io_now_ms() };
	strcpy(st.peer, "192.0.2.1:50000");
	CHECK(sessions_start(&st) == 0);
	CHECK(launchers_send(li, id, sv[0], &remote, &local) == 0);
	return sv[1];
}

static char *sh_argv[] = { "/bin/sh", "-c", NULL, NULL };

static void start(const char *script, int n)
{
	sh_argv[2] = (char *)script;
	params.path = "/bin/sh";
	params.argv = sh_argv;
	CHECK(sessions_init(16) == 0);
	CHECK(launchers_start(n, &params, io_now_ms()) == 0);
}

static void case_started_then_ended(void)
{
	start("echo $TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALIP $TCPLOCALPORT", 1);
	int c = send_conn(0, 1);
	pump(&E.started, 1, 5000);
	CHECK(E.started == 1 && E.pid > 0);
	char buf[128] = "";
	ssize_t n = read(c, buf, sizeof buf - 1);
	CHECK(n > 0 && strcmp(buf, "192.0.2.1 50000 192.0.2.2 4120\n") == 0);
	pump(&E.ended, 1, 5000);
	CHECK(E.ended == 1 && E.ended_pid == E.pid && E.order_ok);
	CHECK(WIFEXITED(E.status) && WEXITSTATUS(E.status) == 0);
	CHECK(sessions_in_use() == 0);
	CHECK(launchers_pick() == 0);
}

static void case_exec_fails(void)
{
	static char *argv[] = { "nothing-here", NULL };
	params.path = "/nonexistent/natter-handler";
	params.argv = argv;
	CHECK(sessions_init(16) == 0);
	CHECK(launchers_start(1, &params, io_now_ms()) == 0);
	int c = send_conn(0, 7);
	pump(&E.failed, 1, 5000);
	CHECK(E.failed == 1 && E.err == ENOENT && E.started == 0);
	CHECK(sessions_in_use() == 0);        /* the slot is free */
	CHECK(launchers_pick() == 0);         /* the launcher serves on */
	char b;
	CHECK(read(c, &b, 1) == 0);           /* its copy is closed */
	CHECK(E.lost == 0);
}

/* Stops launcher pid, and waits until it is stopped. */
static void freeze(pid_t pid)
{
	int st;
	CHECK(kill(pid, SIGSTOP) == 0);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
}

/* The one launcher's pid: the child of ours that says it is one
 * (proctitle.h), from /proc.  -1 if none. */
static pid_t find_child(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;
	while (d && found < 0 && (e = readdir(d)) != NULL) {
		char path[300], buf[256] = "";
		long ppid = 0;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof buf, f) && strstr(buf, "(natterd-launch)"))
			sscanf(strrchr(buf, ')') + 2, "%*c %ld", &ppid);
		fclose(f);
		if (ppid == (long)getpid())
			found = (pid_t)atol(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* Waits for the new launcher to name itself. */
static pid_t only_child(void)
{
	pid_t p = -1;
	for (long long t0 = io_now_ms(); p < 0 && io_now_ms() - t0 < 5000;)
		if ((p = find_child()) < 0)
			poll(NULL, 0, 5);
	return p;
}

static void case_full_launcher(void)
{
	start("exec cat", 1);
	pid_t l = only_child();
	CHECK(l > 0);
	freeze(l);
	int c[LAUNCHER_DEPTH];
	for (int i = 0; i < LAUNCHER_DEPTH; i++)
		c[i] = send_conn(0, (uint32_t)i + 1);
	CHECK(launchers_pick() == -1);  /* full: listeners not polled */
	CHECK(sessions_in_use() == LAUNCHER_DEPTH);
	CHECK(kill(l, SIGCONT) == 0);
	pump(&E.started, LAUNCHER_DEPTH, 5000);
	CHECK(E.started == LAUNCHER_DEPTH && E.failed == 0);
	CHECK(launchers_pick() == 0);
	CHECK(sessions_count() == LAUNCHER_DEPTH);
	for (int i = 0; i < LAUNCHER_DEPTH; i++)
		close(c[i]);                /* cat ends */
	pump(&E.ended, LAUNCHER_DEPTH, 5000);
	CHECK(E.ended == LAUNCHER_DEPTH && sessions_in_use() == 0);
}

static void case_killed_mid_start(void)
{
	start("exec cat", 1);
	int running = send_conn(0, 1);
	pump(&E.started, 1, 5000);
	pid_t handler = E.pid;
	pid_t l = only_child();
	CHECK(l > 0);
	freeze(l);
	int waiting = send_conn(0, 2);        /* in its socket, unread */
	CHECK(kill(l, SIGKILL) == 0);
	pump(&E.lost, 1, 5000);
	CHECK(E.lost == 1 && E.lost_starts == 1 && E.lost_sessions == 1);
	CHECK(sessions_in_use() == 0);
	char b;
	CHECK(read(waiting, &b, 1) == 0);     /* that peer sees the end */
	CHECK(launchers_pick() == -1);        /* restart not yet due */
	long long t0 = io_now_ms();
	while (launchers_pick() < 0 && io_now_ms() - t0 < 5000)
		pump(&E.started, 99, 20);
	CHECK(launchers_pick() == 0);         /* restarted */
	int next = send_conn(0, 3);
	pump(&E.started, 2, 5000);
	CHECK(E.started == 2 && E.pid != handler);
	CHECK(write(next, "x\n", 2) == 2 && read(next, &b, 1) == 1 && b == 'x');
	kill(handler, SIGKILL);               /* the orphan, ours to end */
	close(running);
	close(next);
}

static void run(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		log_init("test_launcher", LOG_TO_STDERR);
		fn();
		launchers_stop();
		exit(UNIT_DONE());
	}
	int st;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	run(case_started_then_ended);
	run(case_exec_fails);
	run(case_full_launcher);
	run(case_killed_mid_start);
	return UNIT_DONE();
}
