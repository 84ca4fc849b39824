/* rulefile.c — the -x file read and applied (rulefile.h). */
#include "rulefile.h"
#include "refusal.h"
#include "exitcode.h"
#include "fatal.h"
#include "io.h"
#include "log.h"
#include "ratelog.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *path;
	struct rules *cur;          /* in force (NULL: no -x) */
	struct ratelog refusals;
} R = { .refusals = { "connections denied by the rules",
		      RULE_REFUSALS_LOGGED_PER_S, 0, 0, 0 } };

/* The file's text into buf (RULES_FILE_MAX + 1 bytes): its length, or
 * -1 with *why. */
static ssize_t read_file(char *buf, const char **why)
{
	int fd = open(R.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	size_t len = 0;
	ssize_t n;
	while ((n = io_read(fd, buf + len, RULES_FILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	int e = errno;
	close(fd);
	if (n < 0) {
		*why = strerror(e);
		return -1;
	}
	if (len > RULES_FILE_MAX) {
		*why = "more than 131072 bytes";
		return -1;
	}
	return (ssize_t)len;
}

/* The file parsed into a new set: it, or NULL with the reason in msg
 * ("line N: why", or why). */
static struct rules *load(char *msg, size_t size)
{
	static char buf[RULES_FILE_MAX + 1];
	const char *why = "out of memory";
	struct rules *r = malloc(sizeof *r);
	ssize_t len = r ? read_file(buf, &why) : -1;
	if (len < 0) {
		snprintf(msg, size, "%s", why);
		free(r);
		return NULL;
	}
	size_t bad = rules_parse(r, buf, (size_t)len, &why);
	if (bad) {
		snprintf(msg, size, "line %zu: %s", bad, why);
		free(r);
		return NULL;
	}
	return r;
}

void rulefile_init(const char *path)
{
	char msg[160];
	R.path = path;
	R.refusals.window = io_now_ms();
	if (!path)
		return;
	R.cur = load(msg, sizeof msg);
	if (!R.cur)
		fatal(EXIT_USAGE, "%s %s", path, msg);
	log_msg(LOG_INFO, "%zu address rules from %s", R.cur->n, path);
}

void rulefile_reload(void)
{
	char msg[160];
	if (!R.path)
		return;
	struct rules *r = load(msg, sizeof msg);
	if (!r) {
		log_msg(LOG_ERR, "%s %s; the rules in force stay", R.path, msg);
		return;
	}
	free(R.cur);
	R.cur = r;
	log_msg(LOG_NOTICE, "%zu address rules from %s", r->n, R.path);
}

int rulefile_refused(int fd, const char *peer, const struct sockaddr *sa)
{
	if (!R.cur || rules_verdict(R.cur, sa) != RULE_DENY)
		return 0;
	refusal_send(fd, peer, "natterd: connections from your address are "
		     "not accepted here\r\n", &R.refusals,
		     "denied by the rules");
	return 1;
}
