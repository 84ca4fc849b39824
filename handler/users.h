/* users.h — the users file: one "name:hash" or "name:hash:op" per line
 * (the third field: words split by commas; "op" marks an operator,
 * others are ignored), hash from
 * crypt(3) ($y$ yescrypt or $6$ SHA-512), '#' starts a comment line.
 * Names compare without regard to case (lib/namecmp.h), as the broker
 * compares them; the file's spelling is the one people see.
 * See natter-users(5).  Shared by natter-session and natter-passwd. */
#ifndef NATTER_USERS_H
#define NATTER_USERS_H

#include <stddef.h>

/* Lines longer than this are ignored when looking a name up. */
#define USERS_LINE_MAX 512
#define USERS_HASH_MAX (USERS_LINE_MAX - 18)

/* Looks name up.  Returns 1, the file's spelling of the name in canon
 * (NAME_LEN_MAX + 1 bytes) and the hash in hash (hashsize bytes); 0
 * when there is no such entry; -1 when the file cannot be read (errno).
 * When not found and dummy is not NULL, dummy gets the first entry's
 * hash (or "" for none) so a failed check can cost the same time. */
int users_find(const char *path, const char *name, char *canon, char *hash,
	       size_t hashsize, char *dummy);

/* As users_find; *op tells whether the entry marks an operator (0
 * when not found). */
int users_lookup(const char *path, const char *name, char *canon,
		 char *hash, size_t hashsize, char *dummy, int *op);

/* Checks a name and password.  A crypt is computed whether or not the
 * name exists, so the answer takes about the same time.  Returns 1 for
 * a match (canon, NAME_LEN_MAX + 1 bytes, then holds the file's
 * spelling of the name), 0 for a wrong name or password, -1 when the
 * file cannot be read, with errno saying why (for the log: "Permission
 * denied" tells the fix). */
int users_check(const char *path, const char *name, const char *password,
		char *canon);
/* As users_check; *op is 1 for a matching operator's entry, else 0. */
int users_check_op(const char *path, const char *name, const char *password,
		   char *canon, int *op);

/* Adds name's entry, replacing any for the same name in any case:
 * under an fcntl lock on path.lock (so concurrent runs serialise, none
 * losing another's change), writes a temporary file beside path and
 * renames it over path, then syncs the directory.  The new file keeps
 * the old one's owner, group and mode (a new file: the caller's, 0600);
 * when the owner and group cannot be kept (not root, and not already
 * the caller's), nothing changes.  Returns 0, or -1 with errno set and
 * a one-line reason in err (errlen bytes). */
int users_set(const char *path, const char *name, const char *hash,
	      char *err, size_t errlen);
/* As users_set, but the hash NULL keeps the entry's (the name must
 * have one: else -1, ENOENT, "no such user"), and op 1 marks it an
 * operator, 0 unmarks it, -1 keeps what it was (users_set keeps it). */
int users_edit(const char *path, const char *name, const char *hash, int op,
	       char *err, size_t errlen);

/* A fresh hash of password: yescrypt, else SHA-512.  NULL on failure. */
const char *users_hash(const char *password);

#endif
