/* ratelog.c — a log line kind with a bound per second (ratelog.h). */
#include "ratelog.h"

#include "log.h"

void ratelog_flush(struct ratelog *r, long long now)
{
	if (now - r->window < 1000)
		return;
	if (r->hidden)
		log_msg(LOG_NOTICE, "%u more %s", r->hidden, r->what);
	r->window = now;
	r->logged = r->hidden = 0;
}

int ratelog_take(struct ratelog *r, long long now)
{
	ratelog_flush(r, now);
	if (r->logged < r->per_second) {
		r->logged++;
		return 1;
	}
	r->hidden++;
	return 0;
}

long long ratelog_due(const struct ratelog *r)
{
	return r->hidden ? r->window + 1000 : -1;
}
