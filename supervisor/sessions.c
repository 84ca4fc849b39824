/* sessions.c — the starts and the table of running handlers: dense,
 * so a lookup scans only what is open. */
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
	int launcher;        /* whose child it is */
	int source;          /* limits.h entry, or -1 */
	long long start_ms;
	char peer[ADDR_TEXT_MAX];
};

static struct session *table;
static unsigned count, capacity;
static struct start starts[STARTS_MAX];
static unsigned nstarts;

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
	return count + nstarts;
}

int sessions_start(const struct start *st)
{
	if (nstarts == STARTS_MAX)
		return -1;
	starts[nstarts++] = *st;
	return 0;
}

static void start_remove(unsigned i, struct start *st)
{
	*st = starts[i];
	starts[i] = starts[--nstarts];
}

int sessions_start_take(uint32_t id, struct start *st)
{
	for (unsigned i = 0; i < nstarts; i++)
		if (starts[i].id == id) {
			start_remove(i, st);
			return 0;
		}
	return -1;
}

int sessions_start_take_of(int li, struct start *st)
{
	for (unsigned i = 0; i < nstarts; i++)
		if (starts[i].launcher == li) {
			start_remove(i, st);
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

int sessions_add(pid_t pid, int launcher, const struct start *st)
{
	if (count == capacity)
		return -1;
	struct session *s = &table[count++];
	s->pid = pid;
	s->launcher = launcher;
	s->source = st->source;
	s->start_ms = st->accepted_ms;
	memcpy(s->peer, st->peer, sizeof s->peer);
	return 0;
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

unsigned sessions_drop_launcher(int li, long long now)
{
	unsigned dropped = 0;
	for (unsigned i = 0; i < count;) {
		struct session *s = &table[i];
		if (s->launcher != li) {
			i++;
			continue;
		}
		long long ms = now - s->start_ms;
		log_msg(LOG_WARNING, "end %s pid %ld: no longer counted (its "
			"launcher died) after %lld.%03lld s", s->peer,
			(long)s->pid, ms / 1000, ms % 1000);
		limits_release(s->source);
		table[i] = table[--count];
		dropped++;
	}
	return dropped;
}

void sessions_signal(int sig)
{
	for (unsigned i = 0; i < count; i++)
		if (kill(table[i].pid, sig) != 0 && errno != ESRCH)
			log_msg(LOG_WARNING, "kill %ld: %s", (long)table[i].pid,
				strerror(errno));
}

void sessions_at(unsigned i, pid_t *pid, int *launcher, long long *start_ms,
		 const char **peer)
{
	*pid = table[i].pid;
	*launcher = table[i].launcher;
	*start_ms = table[i].start_ms;
	*peer = table[i].peer;
}
