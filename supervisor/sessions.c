/* sessions.c — the table of running handlers: dense, so a lookup scans
 * only the sessions that are open. */
#include "sessions.h"
#include "limits.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct session {
	pid_t pid;
	int source;          /* limits.h entry, or -1 */
	long long start_ms;
	char peer[ADDR_TEXT_MAX];
};

/* An end reaped before its session was recorded: see sessions_stash. */
struct early_end {
	pid_t pid;
	int status;
};

static struct session *table;
static unsigned count, capacity;
static unsigned reserved;  /* handlers being started: sessions_reserve */
static struct early_end early[SESSIONS_EARLY_MAX];
static unsigned nearly;

int sessions_init(unsigned max)
{
	table = calloc(max, sizeof *table);
	capacity = max;
	return table ? 0 : -1;
}

unsigned sessions_count(void)
{
	return count;
}

unsigned sessions_in_use(void)
{
	return count + reserved;
}

void sessions_reserve(void)
{
	reserved++;
}

/* With no handler being started, a kept exit was nobody's: log it. */
static void early_forget(void)
{
	if (reserved > 0)
		return;
	for (unsigned i = 0; i < nearly; i++)
		log_msg(LOG_INFO, "reaped child %ld, no session (a handler "
			"that could not be started?)", (long)early[i].pid);
	nearly = 0;
}

void sessions_unreserve(void)
{
	reserved--;
	early_forget();
}

/* The status of pid if it was reaped before being recorded, taken out
 * of the early ends; -1 otherwise. */
static int early_status(pid_t pid, int *status)
{
	for (unsigned i = 0; i < nearly; i++) {
		if (early[i].pid != pid)
			continue;
		*status = early[i].status;
		early[i] = early[--nearly];
		return 0;
	}
	return -1;
}

static void log_end(const struct session *s, int status, long long now)
{
	long long ms = now - s->start_ms;
	if (WIFSIGNALED(status))
		log_msg(LOG_INFO, "end %s pid %ld: killed by signal %d after %lld.%03lld s",
			s->peer, (long)s->pid, WTERMSIG(status), ms / 1000, ms % 1000);
	else
		log_msg(LOG_INFO, "end %s pid %ld: exit %d after %lld.%03lld s",
			s->peer, (long)s->pid, WEXITSTATUS(status), ms / 1000,
			ms % 1000);
}

int sessions_add(pid_t pid, int source, long long now, const char *peer)
{
	int status;
	if (reserved == 0)
		return -1;
	reserved--;
	if (count == capacity) {
		early_forget();
		return -1;
	}
	struct session *s = &table[count++];
	s->pid = pid;
	s->source = source;
	s->start_ms = now;
	snprintf(s->peer, sizeof s->peer, "%s", peer); /* fits: addr.h */
	if (early_status(pid, &status) == 0)
		sessions_end(pid, status, now);
	early_forget();
	return 0;
}

int sessions_stash(pid_t pid, int status)
{
	if (reserved == 0 || nearly == SESSIONS_EARLY_MAX)
		return 0;
	early[nearly++] = (struct early_end){ pid, status };
	return 1;
}

int sessions_end(pid_t pid, int status, long long now)
{
	for (unsigned i = 0; i < count; i++) {
		if (table[i].pid != pid)
			continue;
		log_end(&table[i], status, now);
		limits_release(table[i].source);
		table[i] = table[--count];
		return 1;
	}
	return 0;
}

void sessions_signal(int sig)
{
	for (unsigned i = 0; i < count; i++)
		if (kill(table[i].pid, sig) != 0 && errno != ESRCH)
			log_msg(LOG_WARNING, "kill %ld: %s", (long)table[i].pid,
				strerror(errno));
}
