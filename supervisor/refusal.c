/* refusal.c — a connection turned away in one line (refusal.h). */
#include "refusal.h"

#include "io.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void refusal_send(int fd, const char *peer, const char *line,
		  struct ratelog *log, const char *why)
{
	if (io_write_some(fd, line, strlen(line), 1) < 0)
		log_msg(LOG_INFO, "refusing %s: %s", peer, strerror(errno));
	if (ratelog_take(log, io_now_ms()))
		log_msg(LOG_NOTICE, "refused %s: %s", peer, why);
	close(fd);
}
