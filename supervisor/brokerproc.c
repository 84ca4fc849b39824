/* brokerproc.c — start, watch and restart the broker. */
#include "brokerproc.h"
#include "child.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	const struct broker_config *cfg;
	void (*close_fn)(void);
	pid_t pid;             /* 0 when not running */
	long long started;     /* ms */
	long long restart_at;  /* ms; -1 when no restart is due */
	long long delay;       /* the next restart delay, ms */
	int stopping;
} B = { .restart_at = -1, .delay = BROKER_RESTART_MIN_MS };

void brokerproc_init(const struct broker_config *cfg, void (*close_fn)(void))
{
	B.cfg = cfg;
	B.close_fn = close_fn;
}

static void schedule_restart(long long now)
{
	B.restart_at = now + B.delay;
	log_msg(LOG_NOTICE, "restarting the broker in %lld ms", B.delay);
	B.delay *= 2;
	if (B.delay > BROKER_RESTART_MAX_MS)
		B.delay = BROKER_RESTART_MAX_MS;
}

int brokerproc_start(long long now)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		B.close_fn();
		log_init("natterd-broker", log_target());
		child_reset_signals();
		/* The broker writes to sockets and must not die of it. */
		signal(SIGPIPE, SIG_IGN);
		_exit(broker_run(B.cfg));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot fork the broker: %s", strerror(errno));
		schedule_restart(now);
		return -1;
	}
	B.pid = pid;
	B.started = now;
	B.restart_at = -1;
	log_msg(LOG_NOTICE, "broker started, pid %ld", (long)pid);
	return 0;
}

pid_t brokerproc_pid(void)
{
	return B.pid;
}

int brokerproc_ended(pid_t pid, int status, long long now)
{
	if (pid != B.pid || pid == 0)
		return 0;
	B.pid = 0;
	if (WIFSIGNALED(status))
		log_msg(B.stopping ? LOG_INFO : LOG_ERR,
			"broker pid %ld killed by signal %d", (long)pid,
			WTERMSIG(status));
	else
		log_msg(B.stopping ? LOG_INFO : LOG_ERR,
			"broker pid %ld exited with status %d", (long)pid,
			WEXITSTATUS(status));
	if (now - B.started >= BROKER_STABLE_MS)
		B.delay = BROKER_RESTART_MIN_MS;
	if (!B.stopping)
		schedule_restart(now);
	return 1;
}

long long brokerproc_due(long long now)
{
	if (B.restart_at < 0)
		return -1;
	return B.restart_at > now ? B.restart_at - now : 0;
}

void brokerproc_tick(long long now)
{
	if (B.restart_at >= 0 && now >= B.restart_at && !B.stopping)
		brokerproc_start(now);
}

void brokerproc_signal(int sig)
{
	if (B.pid > 0 && kill(B.pid, sig) != 0 && errno != ESRCH)
		log_msg(LOG_WARNING, "kill broker %ld: %s", (long)B.pid,
			strerror(errno));
}

void brokerproc_stopping(void)
{
	B.stopping = 1;
	B.restart_at = -1;
}
