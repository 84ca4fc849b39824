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

static struct session *table;
static unsigned count, capacity;

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

int sessions_add(pid_t pid, int source, long long now, const char *peer)
{
	if (count == capacity)
		return -1;
	struct session *s = &table[count++];
	s->pid = pid;
	s->source = source;
	s->start_ms = now;
	snprintf(s->peer, sizeof s->peer, "%s", peer); /* fits: addr.h */
	return 0;
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
