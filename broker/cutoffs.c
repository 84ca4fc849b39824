/* cutoffs.c — a ring of the last cut-offs (cutoffs.h).  One broker
 * per process, so the table is the file's own. */
#include "cutoffs.h"
#include "namecmp.h"
#include "names.h"

#include <string.h>

struct cutoff {
	char name[NAME_LEN_MAX + 1];
	char ip[46], port[8];
	long long at;             /* 0: free */
};

static struct cutoff ring[CUTOFFS_MAX];
static size_t next;

/* Copies s into a field of `size` bytes; an origin too long for it
 * ("?" stands in) only makes the match stricter. */
static void put(char *to, size_t size, const char *s)
{
	size_t n = strlen(s);
	if (n >= size) {
		memcpy(to, "?", 2);
		return;
	}
	memcpy(to, s, n + 1);
}

void cutoffs_note(const char *name, const char *ip, const char *port,
		  long long now)
{
	struct cutoff *c = &ring[next];
	next = (next + 1) % CUTOFFS_MAX;
	put(c->name, sizeof c->name, name);
	put(c->ip, sizeof c->ip, ip);
	put(c->port, sizeof c->port, port);
	c->at = now;
}

int cutoffs_take(const char *name, size_t alen, const char *ip,
		 const char *port, long long now)
{
	for (size_t i = 0; i < CUTOFFS_MAX; i++) {
		struct cutoff *c = &ring[i];
		if (!c->at || now - c->at > CUTOFF_KEEP_MS ||
		    !name_same(c->name, strlen(c->name), name, alen) ||
		    strcmp(c->ip, ip) != 0 || strcmp(c->port, port) != 0)
			continue;
		c->at = 0;
		return 1;
	}
	return 0;
}
