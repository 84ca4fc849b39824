/* ignore.h — whom a person ignores: their public lines, actions and
 * private messages (and messages they left while the person was away)
 * are not sent to the person's handler, and they are not told.
 *
 * An account's list (LOGIN with FRAME_ACCOUNT) is kept in the state
 * directory, file ignore/NAME (statefile.h): one name per line, at most
 * IGNORE_MAX.  Anyone else's lasts as long as the session (and is lost
 * with a broker restart).  With natter-broker -R an account's list is
 * shared by every host (xignore.h); the file is then this host's copy,
 * used while Redis is away. */
#ifndef NATTER_BROKER_IGNORE_H
#define NATTER_BROKER_IGNORE_H

#include "chat.h"
#include "names.h"

#include <stddef.h>

#define IGNORE_MAX 64 /* names one person may ignore */
/* The longest file the parser reads: IGNORE_MAX names and their line
 * ends, plus a little for a hand-edited file's slack. */
#define IGNORE_FILE_MAX (IGNORE_MAX * (NAME_LEN_MAX + 2) + 256)

struct ignores {
	size_t n;
	char names[IGNORE_MAX][NAME_LEN_MAX + 1];
};

/* Parses a file's bytes (untrusted): each line one valid name; other
 * lines, repeats and names past IGNORE_MAX are skipped, and so is a
 * last line without its '\n' (a cut read).  Returns ig->n. */
size_t ignore_parse(struct ignores *ig, const char *buf, size_t len);
/* Parses a list read from Redis (untrusted): every line one valid
 * name ending in '\n', no repeats, at most IGNORE_MAX.  0, or -1 when
 * anything is off (ig->n is then 0). */
int ignore_strict(struct ignores *ig, const char *buf, size_t len);
/* The file's bytes for ig (out: IGNORE_FILE_MAX bytes); the length. */
size_t ignore_format(const struct ignores *ig, char *out, size_t size);
/* Whether ig holds name. */
int ignore_has(const struct ignores *ig, const char *name, size_t len);

/* Reads c's list at login (an account, with a state directory). */
void ignore_load(struct chat *ch, struct chatter *c);
/* c's list becomes ig (the shared one, read at log-in), also in this
 * host's file: 0, or -1 (logged). */
int ignore_replace(struct chat *ch, struct chatter *c,
		   const struct ignores *ig);
/* IGNORE (a: a name to ignore, or empty: the list) and UNIGNORE. */
void ignore_request(struct chat *ch, struct chatter *c,
		    const struct frame *f);
/* Whether to's person ignores the name from. */
int ignore_blocks(const struct chatter *to, const char *from);
/* chat_fanout for a public line by the name from: to all of r but
 * `except` (its sender, or NULL when gone) and those who ignore it. */
void ignore_fanout(struct chat *ch, const struct room *r,
		   const struct chatter *except, const char *from, size_t len);
void ignore_free(struct chatter *c);

#endif
