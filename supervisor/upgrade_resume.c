/* upgrade_resume.c — the new natterd's half of the upgrade (upgrade.h):
 * how it was started, the state read and bounded, and taken over. */
#include "upgrade.h"
#include "upgrade_state.h"
#include "exitcode.h"
#include "fatal.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "sessions.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

struct resumed_session {
	pid_t pid;
	int launcher;
	long long start_ms;
	char peer[ADDR_TEXT_MAX];
};

static struct {
	int resuming;
	int lfd[LISTENERS_MAX], lproxy[LISTENERS_MAX], nl;
	struct brokerproc_state broker;
	pid_t lpid[LAUNCHERS_MAX];
	int lsock[LAUNCHERS_MAX];
	long long lstarted[LAUNCHERS_MAX];
	int nlaunchers;
	struct resumed_session *s;
	size_t ns, cap;
} R;

/* The path natterd runs from (the upgrade execs what is there then). */
static void self_path(const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", U.path, sizeof U.path - 1);
	if (n > 0) {
		U.path[n] = '\0';
		return;
	}
	if (!realpath(argv0, U.path))
		snprintf(U.path, sizeof U.path, "%s", argv0);
}

static int env_fd(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long fd = v ? strtol(v, &end, 10) : -1;
	if (!v || *end || fd < 3 || fd > 1 << 20 || fcntl((int)fd, F_GETFD) < 0)
		fd = -1;
	unsetenv(name);
	if (fd >= 0)
		(void)io_set_cloexec((int)fd);
	return (int)fd;
}

static int add_session(const char *line)
{
	struct resumed_session rs;
	long pid;
	char peer[ADDR_TEXT_MAX];
	if (sscanf(line, "session %ld %d %lld %63s", &pid, &rs.launcher,
		   &rs.start_ms, peer) != 4 || pid <= 0 || rs.launcher < 0 ||
	    rs.launcher >= LAUNCHERS_MAX)
		return -1;
	rs.pid = (pid_t)pid;
	memcpy(rs.peer, peer, sizeof rs.peer);
	if (R.ns == R.cap) {
		size_t cap = R.cap ? R.cap * 2 : 64;
		void *p = realloc(R.s, cap * sizeof *R.s);
		if (!p)
			return -1;
		R.s = p;
		R.cap = cap;
	}
	R.s[R.ns++] = rs;
	return 0;
}

/* One line of the state; 1 at "end", 0 taken, -1 bad. */
static int state_line(const char *line)
{
	long pid;
	int i, fd, px;
	long long t;
	struct brokerproc_state *b = &R.broker;
	if (strcmp(line, "end") == 0)
		return 1;
	if (sscanf(line, "listener %d %d", &fd, &px) == 2 && fd > 2 &&
	    R.nl < LISTENERS_MAX) {
		R.lfd[R.nl] = fd;
		R.lproxy[R.nl++] = px != 0;
		return 0;
	}
	int life[2] = { -1, -1 }; /* an older natterd's line has none */
	if (sscanf(line, "broker %ld %lld %d %llu %llu %d %d", &pid,
		   &b->started, &b->bound, &b->dev, &b->ino, &life[0],
		   &life[1]) >= 5) {
		b->pid = (pid_t)pid;
		b->life[0] = life[0] > 2 ? life[0] : -1;
		b->life[1] = life[1] > 2 ? life[1] : -1;
		return 0;
	}
	if (sscanf(line, "launcher %d %ld %d %lld", &i, &pid, &fd, &t) == 4 &&
	    i == R.nlaunchers && i < LAUNCHERS_MAX) {
		R.lpid[i] = (pid_t)pid;
		R.lsock[i] = fd;
		R.lstarted[R.nlaunchers++] = t;
		return 0;
	}
	return strncmp(line, "session ", 8) == 0 ? add_session(line) : -1;
}

/* Reads the state from U.state_fd: 0, or -1 (logged). */
static int state_read(void)
{
	char line[UPGRADE_LINE_MAX + 2];
	int fd = dup(U.state_fd), r = -1, first = 1;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		log_msg(LOG_ERR, "upgrade: state: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			break; /* too long, or cut */
		line[n - 1] = '\0';
		if (first && strcmp(line, UPGRADE_CHECK_LINE) != 0)
			break;
		if (!first && (r = state_line(line)) != 0)
			break;
		first = 0;
	}
	fclose(f);
	if (r != 1)
		log_msg(LOG_ERR, "upgrade: the old natterd's state is not "
			"one this natterd understands");
	return r == 1 ? 0 : -1;
}

void upgrade_init(int argc, char **argv)
{
	self_path(argv[0]);
	U.argv = calloc((size_t)argc + 1, sizeof *U.argv);
	for (int i = 0; U.argv && i < argc; i++)
		if (!(U.argv[i] = strdup(argv[i])))
			fatal(EXIT_TEMP, "out of memory");
	if (!U.argv)
		fatal(EXIT_TEMP, "out of memory");
	int prev = env_fd(UPGRADE_PREV_ENV);
	U.state_fd = env_fd(UPGRADE_FD_ENV);
	U.prev_fd = open(U.path, O_RDONLY | O_CLOEXEC);
	if (U.state_fd < 0) {
		if (prev >= 0)
			close(prev);
		return;
	}
	R.resuming = 1;
	if (prev >= 0) { /* until the state is taken over, the way back */
		if (U.prev_fd >= 0)
			close(U.prev_fd);
		U.prev_fd = prev;
	}
	if (state_read() != 0)
		upgrade_rollback();
}

int upgrade_env(void)
{
	return getenv(UPGRADE_FD_ENV) != NULL;
}

int upgrade_resuming(void)
{
	return R.resuming;
}

int upgrade_resume_listeners(struct listeners *ls)
{
	for (int i = 0; i < R.nl; i++) {
		if (io_set_cloexec(R.lfd[i]) != 0 ||
		    listeners_adopt(ls, R.lfd[i]) != 0) {
			log_msg(LOG_ERR, "upgrade: listener %d: %s", R.lfd[i],
				strerror(errno));
			return -1;
		}
		ls->proxy[ls->n - 1] = R.lproxy[i];
	}
	return R.nl > 0 ? 0 : -1;
}

int upgrade_resume_broker(long long now)
{
	brokerproc_adopt(&R.broker, now);
	return 0;
}

/* "1.2.3.4:5" or "[::1]:5" back into an address, for the limits. */
static int peer_address(const char *peer, struct sockaddr_storage *ss)
{
	char ip[ADDR_TEXT_MAX];
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : 0;
	int v6 = peer[0] == '[';
	if (!colon || n < 2 || n >= sizeof ip)
		return -1;
	memcpy(ip, peer + v6, n - 2 * v6);
	ip[n - 2 * v6] = '\0';
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	ss->ss_family = v6 ? AF_INET6 : AF_INET;
	return inet_pton(ss->ss_family, ip, v6 ? (void *)&in6->sin6_addr :
						  (void *)&in->sin_addr) == 1
		? 0 : -1;
}

int upgrade_resume_launchers(const struct launchers_params *lp, long long now)
{
	if (R.nlaunchers == 0)
		return -1;
	for (int i = 0; i < R.nlaunchers; i++)
		if (R.lsock[i] >= 0 && io_set_cloexec(R.lsock[i]) != 0)
			return -1;
	launchers_adopt(R.nlaunchers, R.lpid, R.lsock, R.lstarted, lp, now);
	for (size_t i = 0; i < R.ns; i++) {
		struct resumed_session *rs = &R.s[i];
		struct sockaddr_storage ss;
		struct start st = { .source = -1, .accepted_ms = rs->start_ms };
		memcpy(st.peer, rs->peer, sizeof st.peer);
		if (peer_address(rs->peer, &ss) == 0)
			st.source = limits_adopt((struct sockaddr *)&ss, now);
		if (sessions_add(rs->pid, rs->launcher, &st) != 0)
			log_msg(LOG_ERR, "upgrade: session pid %ld not taken "
				"over (table full)", (long)rs->pid);
	}
	log_msg(LOG_NOTICE, "upgraded: %zu sessions, %d launchers, %d "
		"listeners taken over", R.ns, R.nlaunchers, R.nl);
	free(R.s);
	R.s = NULL;
	close(U.state_fd);
	U.state_fd = -1;
	if (U.prev_fd >= 0) /* the way back is no longer needed */
		close(U.prev_fd);
	U.prev_fd = open(U.path, O_RDONLY | O_CLOEXEC);
	return 0;
}

void upgrade_rollback(void)
{
	char num[24];
	if (U.prev_fd < 0 || U.state_fd < 0 ||
	    lseek(U.state_fd, 0, SEEK_SET) != 0)
		fatal(EXIT_TEMP, "upgrade failed, and no way back");
	int fl = fcntl(U.state_fd, F_GETFD);
	snprintf(num, sizeof num, "%d", U.state_fd);
	if (fl < 0 || fcntl(U.state_fd, F_SETFD, fl & ~FD_CLOEXEC) != 0 ||
	    setenv(UPGRADE_FD_ENV, num, 1) != 0)
		fatal_errno(EXIT_TEMP, "upgrade failed, and no way back");
	log_msg(LOG_ERR, "upgrade: taking the old natterd back");
	fexecve(U.prev_fd, U.argv, environ);
	fatal_errno(EXIT_TEMP, "upgrade failed, and the old natterd cannot "
		    "be run again");
}
