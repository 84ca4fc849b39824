/* cfiles.c — natter's file sharing (cfiles.h). */
#include "cfiles.h"
#include "io.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void cfiles_init(struct cfiles *cf, const char *host, const char *port,
		 int family, const char *dirname, int dir, long rate)
{
	memset(cf, 0, sizeof *cf);
	cf->host = host;
	cf->port = port;
	cf->family = family;
	cf->dirname = dirname;
	cf->dir = dir;
	cf->rate = rate;
	for (size_t i = 0; i < CFILES_MAX; i++)
		cf->f[i].fd = cf->f[i].result = cf->f[i].life = -1;
}

void cfiles_note(struct cfiles *cf, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (cf->nnotes + (size_t)n + 5 > sizeof cf->notes)
		return; /* bounded: a flood of notes loses the newest */
	memcpy(cf->notes + cf->nnotes, "*** ", 4);
	memcpy(cf->notes + cf->nnotes + 4, line, (size_t)n);
	cf->notes[cf->nnotes + 4 + (size_t)n] = '\n';
	cf->nnotes += (size_t)n + 5;
}

int cfiles_show(struct cfiles *cf, struct outq *display, const char *eol)
{
	size_t i = 0;
	while (i < cf->nnotes) {
		char *nl = memchr(cf->notes + i, '\n', cf->nnotes - i);
		size_t n = (size_t)(nl - (cf->notes + i));
		if (outq_append(display, cf->notes + i, n) != 0 ||
		    outq_append(display, eol, strlen(eol)) != 0)
			return -1;
		i += n + 1;
	}
	cf->nnotes = 0;
	return 0;
}

/* A free place; else that of an offer the server has outlived (every
 * offer expires in 10 minutes, with a word, unless the broker that
 * held it restarted). */
static struct cfile *free_slot(struct cfiles *cf)
{
	long long now = io_now_ms();
	for (size_t i = 0; i < CFILES_MAX; i++)
		if (cf->f[i].st == CF_FREE)
			return &cf->f[i];
	for (size_t i = 0; i < CFILES_MAX; i++)
		if ((cf->f[i].st == CF_PENDING || cf->f[i].st == CF_OFFERED) &&
		    now - cf->f[i].since > CFILES_STALE_MS) {
			cfiles_release(&cf->f[i]);
			return &cf->f[i];
		}
	return NULL;
}

static struct cfile *by_id(struct cfiles *cf, unsigned id, enum xfer_role r)
{
	for (size_t i = 0; i < CFILES_MAX; i++)
		if (cf->f[i].st >= CF_OFFERED && cf->f[i].id == id &&
		    cf->f[i].role == r)
			return &cf->f[i];
	return NULL;
}

void cfiles_release(struct cfile *f)
{
	if (f->fd >= 0)
		(void)close(f->fd);
	memset(f, 0, sizeof *f);
	f->fd = f->result = f->life = -1;
}

/* /send NAME FILE: the file is opened now (what is offered is what
 * goes), and the server asked with its size and clean name. */
static void cmd_send(struct cfiles *cf, struct csess *s, const char *arg,
		     size_t alen)
{
	char path[4096], name[FNAME_MAX + 1], line[128 + FNAME_MAX];
	size_t w = 0;
	while (w < alen && arg[w] != ' ')
		w++;
	size_t p = w;
	while (p < alen && arg[p] == ' ')
		p++;
	size_t plen = alen - p;
	while (plen > 0 && arg[p + plen - 1] == ' ')
		plen--;
	if (!name_valid(arg, w) || plen == 0 || plen >= sizeof path) {
		cfiles_note(cf, "Usage: /send NAME FILE");
		return;
	}
	memcpy(path, arg + p, plen);
	path[plen] = '\0';
	struct cfile *f = free_slot(cf);
	if (!f) {
		cfiles_note(cf, "%d files are on offer or moving already; wait for "
		     "one to finish.", CFILES_MAX);
		return;
	}
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    fname_clean(path, plen, name, sizeof name) == 0) {
		cfiles_note(cf, "Cannot send %s: %s", path, fd < 0 ? strerror(errno)
		     : "not a regular file with a usable name");
		if (fd >= 0)
			close(fd);
		return;
	}
	if (io_set_nonblock(fd, 0) != 0) { /* O_NONBLOCK: a FIFO won't hang */
		close(fd);
		cfiles_note(cf, "Cannot send %s: %s", path, strerror(errno));
		return;
	}
	int n = snprintf(line, sizeof line, "/offer %.*s %llu %s", (int)w, arg,
			 (unsigned long long)st.st_size, name);
	if (csess_queue_line(s, line, (size_t)n) != 0) {
		close(fd);
		cfiles_note(cf, "Cannot send %s now: too much is waiting to go.", path);
		return;
	}
	f->st = CF_PENDING;
	f->since = io_now_ms();
	f->role = XFER_PUT;
	f->seq = ++cf->seq;
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	memcpy(f->name, name, sizeof name);
}

/* /transfers: what moves here, then (the server) what is on offer. */
static void cmd_transfers(struct cfiles *cf)
{
	char sz[32];
	for (size_t i = 0; i < CFILES_MAX; i++) {
		const struct cfile *f = &cf->f[i];
		/* an ended one is being stopped: the server said it is off */
		if (f->st != CF_RUNNING || f->ended)
			continue;
		xfer_size_text(f->size, sz, sizeof sz);
		cfiles_note(cf, "File %u: %s %s (%s), under way.", f->id,
		     f->role == XFER_PUT ? "sending" : "receiving", f->name, sz);
	}
}

/* /cancel ID of a transfer under way stops its child here; an offer
 * not yet moving is the server's to cancel. */
static int cmd_cancel(struct cfiles *cf, const char *arg, size_t alen)
{
	uint64_t id;
	if (xfer_parse_u64(arg, alen, &id) != 0)
		return 0;
	for (size_t i = 0; i < CFILES_MAX; i++) {
		struct cfile *f = &cf->f[i];
		if (f->st == CF_RUNNING && f->id == id) {
			f->cancelled = 1;
			if (kill(f->pid, SIGTERM) != 0 && errno != ESRCH)
				cfiles_note(cf, "Cannot stop file %u: %s", f->id,
				     strerror(errno));
			return 1;
		}
	}
	return 0;
}

static int is(const char *cmd, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cmd, name, len) == 0;
}

int cfiles_line(struct cfiles *cf, struct csess *s, const char *line,
		size_t len)
{
	size_t c = 0, a;
	while (c < len && line[c] != ' ')
		c++;
	for (a = c; a < len && line[a] == ' '; a++)
		;
	size_t alen = len - a;
	while (alen > 0 && line[a + alen - 1] == ' ')
		alen--;
	if (is(line, c, "/send")) {
		cmd_send(cf, s, line + a, alen);
		return 1;
	}
	if (is(line, c, "/cancel"))
		return cmd_cancel(cf, line + a, alen);
	if (is(line, c, "/transfers"))
		cmd_transfers(cf);
	return 0;
}

/* The server ended f's offer (the other side left, cancelled, or did
 * not start in time) while f's transfer process had started: the
 * server forgets an offer once both data connections have come, so
 * this one's other half never will, and its process would only wait
 * for it.  It stops; the server's line is the person's word on it. */
static void stop_ended(struct cfiles *cf, struct cfile *f)
{
	f->ended = 1;
	if (kill(f->pid, SIGTERM) != 0 && errno != ESRCH)
		cfiles_note(cf, "Cannot stop file %u: %s", f->id,
			    strerror(errno));
}

/* The oldest /send still waiting for the server's answer. */
static struct cfile *oldest_pending(struct cfiles *cf)
{
	struct cfile *best = NULL;
	for (size_t i = 0; i < CFILES_MAX; i++)
		if (cf->f[i].st == CF_PENDING &&
		    (!best || cf->f[i].seq < best->seq))
			best = &cf->f[i];
	return best;
}

void cfiles_event(struct cfiles *cf, const char *line, size_t len)
{
	struct xfer_event e;
	struct cfile *f;
	if (xfer_parse_event(line, len, &e) != 0)
		return; /* not ours to act on: a newer server's */
	if (!strcmp(e.verb, "offered") && (f = oldest_pending(cf))) {
		f->st = CF_OFFERED;
		f->since = io_now_ms();
		f->id = e.id;
		memcpy(f->token, e.token, sizeof f->token);
	} else if (!strcmp(e.verb, "refused") && (f = oldest_pending(cf))) {
		cfiles_release(f);
	} else if (!strcmp(e.verb, "accepted") &&
		   (f = by_id(cf, e.id, XFER_PUT)) && f->st == CF_OFFERED) {
		cfiles_start(cf, f);
	} else if (!strcmp(e.verb, "gone") &&
		   (f = by_id(cf, e.id, XFER_PUT)) && f->st == CF_OFFERED) {
		cfiles_release(f);
	} else if (!strcmp(e.verb, "gone") &&
		   ((f = by_id(cf, e.id, XFER_GET)) ||
		    (f = by_id(cf, e.id, XFER_PUT))) && f->st == CF_RUNNING) {
		stop_ended(cf, f);
	} else if (!strcmp(e.verb, "get")) {
		if (!(f = free_slot(cf))) {
			cfiles_note(cf, "File %u: %d files are moving already; /accept "
			     "it again later.", e.id, CFILES_MAX);
			return;
		}
		f->role = XFER_GET;
		f->id = e.id;
		f->size = e.size;
		memcpy(f->token, e.token, sizeof f->token);
		memcpy(f->name, e.name, sizeof f->name);
		cfiles_start(cf, f);
	}
}
