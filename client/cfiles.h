/* cfiles.h — file sharing in natter (issue 16; natter(1) FILES): the
 * person's /send, /accept, /cancel and /transfers, the server's event
 * lines (lib/xferproto.h), and the child processes that move the bytes
 * (cxfer.h), so the chat loop never waits for a file.
 *
 * At most CFILES_MAX files at once, offered or moving.  Each child's
 * result comes back as one line on a pipe the loop polls; the loop
 * shows what cfiles_show gives it.  natter's own end ends its
 * transfers (their life line closes). */
#ifndef NATTER_CFILES_H
#define NATTER_CFILES_H

#include "csess.h"
#include "cxfer.h"
#include "outq.h"

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#define CFILES_MAX 8
#define CFILES_NOTES_MAX 8192  /* lines waiting to be shown; more: dropped */
/* An offer the server never answered about (its broker restarted
 * without a state directory and forgot it): its place is taken back
 * after this. */
#define CFILES_STALE_MS (11 * 60 * 1000LL)

enum cfile_state { CF_FREE, CF_PENDING, CF_OFFERED, CF_RUNNING };

struct cfile {
	enum cfile_state st;
	enum xfer_role role;
	unsigned long seq;      /* order of /send (PENDING) */
	long long since;        /* io_now_ms of the /send or the offer */
	unsigned id;
	char token[XFER_TOKEN_LEN + 1];
	char name[FNAME_MAX + 1];
	uint64_t size;
	int fd;                 /* PUT: the file, open since /send */
	pid_t pid;
	int result, life;       /* the child's result pipe, its life line */
	char out[256];          /* its result line */
	size_t nout;
	int cancelled;
	int ended;              /* the server ended its offer, and said so
				   in a line: ours would only repeat it */
};

struct cfiles {
	const char *host, *port;
	int family;
	const char *dirname;    /* natter -d */
	int dir;                /* open, for openat/linkat */
	long rate;              /* natter -L, bytes per second; 0: none */
	unsigned long seq;
	struct cfile f[CFILES_MAX];
	char notes[CFILES_NOTES_MAX];
	size_t nnotes;
};

void cfiles_init(struct cfiles *cf, const char *host, const char *port,
		 int family, const char *dirname, int dir, long rate);
/* A line the person typed.  1: handled here (what goes to the server
 * is queued on s), 0: to be sent as typed. */
int cfiles_line(struct cfiles *cf, struct csess *s, const char *line,
		size_t len);
/* An event line from the server, without XFER_EVENT_PREFIX. */
void cfiles_event(struct cfiles *cf, const char *line, size_t len);
/* The result pipes to poll (at most CFILES_MAX entries of p). */
size_t cfiles_pollfds(const struct cfiles *cf, struct pollfd *p);
/* Reads the results that came, reaps the children that ended. */
void cfiles_check(struct cfiles *cf);
/* Appends the notes waiting ("*** ..." lines ending in eol) to display
 * and forgets them.  0, or -1 when display has no room. */
int cfiles_show(struct cfiles *cf, struct outq *display, const char *eol);
/* Whether notes wait to be shown. */
static inline int cfiles_have_notes(const struct cfiles *cf)
{
	return cf && cf->nnotes > 0;
}

/* For cfiles*.c: the child of f started (f RUNNING, or released with
 * a note); f freed; a note to show ("*** " and a line end added). */
void cfiles_start(struct cfiles *cf, struct cfile *f);
void cfiles_release(struct cfile *f);
void cfiles_note(struct cfiles *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
