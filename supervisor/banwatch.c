/* banwatch.c — refusing banned addresses at accept (banwatch.h). */
#include "banwatch.h"
#include "refusal.h"
#include "bans.h"
#include "io.h"
#include "log.h"
#include "ratelog.h"
#include "statefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BAN_REFUSALS_LOGGED_PER_S 10

static struct {
	const char *dir;
	int seen;                 /* a stat was taken: the fields below */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct banlist bans;
	char text[STATEFILE_MAX];
	struct ratelog refusals;
} W = { .refusals = { "banned connections refused",
		      BAN_REFUSALS_LOGGED_PER_S, 0, 0, 0 } };

void banwatch_init(const char *dir)
{
	W.dir = dir;
	W.refusals.window = io_now_ms();
}

static int same_file(const struct stat *st)
{
	return W.seen && st->st_dev == W.dev && st->st_ino == W.ino &&
	       st->st_size == W.size &&
	       st->st_mtim.tv_sec == W.mtime.tv_sec &&
	       st->st_mtim.tv_nsec == W.mtime.tv_nsec;
}

static void remember(const struct stat *st)
{
	W.seen = 1;
	W.dev = st->st_dev;
	W.ino = st->st_ino;
	W.size = st->st_size;
	W.mtime = st->st_mtim;
}

/* Reads the file again if it changed since the last look. */
static void refresh(void)
{
	char path[4096];
	struct stat st;
	if (statefile_path(path, sizeof path, W.dir, BANS_FILE) != 0)
		return;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && W.seen) {
			W.seen = 0; /* gone: no bans */
			W.bans.n = 0;
		}
		return;
	}
	if (same_file(&st))
		return;
	ssize_t n = statefile_read(W.dir, BANS_FILE, W.text, sizeof W.text,
				   &st);
	if (n < 0) {
		log_msg(LOG_WARNING, "cannot read %s: %s", path,
			strerror(errno));
		return;
	}
	banlist_parse(&W.bans, W.text, (size_t)n);
	remember(&st);
}

int banwatch_refused(int fd, const char *peer, const struct sockaddr *sa)
{
	if (!W.dir)
		return 0;
	refresh();
	const struct ban *b = banlist_find_sa(&W.bans, sa, (long long)time(NULL));
	if (!b)
		return 0;
	refusal_send(fd, peer, "natterd: you are banned from this server\r\n",
		     &W.refusals, "banned");
	return 1;
}
