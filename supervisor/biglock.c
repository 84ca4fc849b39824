/* biglock.c — see biglock.h. */
#include "biglock.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER;

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
