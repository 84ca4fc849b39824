/* biglock.c — see biglock.h. */
#include "biglock.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static unsigned spawning;  /* acceptors in spawn_handler */
static int fork_pending;   /* the main thread waits to fork */

/* A default mutex fails only when misused (a thread locking it twice,
 * or unlocking it without holding it): a bug, so natterd stops there
 * rather than run on with its tables unguarded. */
static void check(int err, const char *what)
{
	if (err) {
		log_msg(LOG_ERR, "%s: %s", what, strerror(err));
		abort();
	}
}

void biglock_take(void)
{
	check(pthread_mutex_lock(&big), "pthread_mutex_lock");
}

void biglock_give(void)
{
	check(pthread_mutex_unlock(&big), "pthread_mutex_unlock");
}

static void gate_wait(void)
{
	check(pthread_cond_wait(&gate, &big), "pthread_cond_wait");
}

static void gate_open(void)
{
	check(pthread_cond_broadcast(&gate), "pthread_cond_broadcast");
}

void biglock_spawn_begin(void)
{
	while (fork_pending)
		gate_wait();
	spawning++;
}

void biglock_spawn_end(void)
{
	if (--spawning == 0 && fork_pending)
		gate_open();
}

void biglock_fork_begin(void)
{
	fork_pending = 1;
	while (spawning > 0)
		gate_wait();
}

void biglock_fork_end(void)
{
	fork_pending = 0;
	gate_open();
}
