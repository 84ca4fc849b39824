/* users.c — reading and atomically rewriting the users file. */
#include "users.h"
#include "statefile.h"
#include "namecmp.h"
#include "names.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A valid yescrypt setting: hashing against it costs what a real entry
 * costs when the file has no entry to borrow the cost from. */
#define DUMMY_SETTING "$y$j9T$NPfK2Z4eRJnbnC/MmM.pP/"

/* Whether the third field (comma-separated words) holds "op". */
static int has_op(const char *fields)
{
	while (fields && *fields) {
		size_t n = strcspn(fields, ",");
		if (n == 2 && memcmp(fields, "op", 2) == 0)
			return 1;
		fields += n + (fields[n] == ',');
	}
	return 0;
}

/* Splits "name:hash[:words]" (line end removed); 0 for a comment,
 * blank or malformed line.  *op: whether the words hold "op". */
static int parse_entry(char *line, char **name, char **hash, int *op)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	char *colon = strchr(line, ':');
	if (!colon || !name_valid(line, (size_t)(colon - line)))
		return 0;
	*colon = '\0';
	*name = line;
	*hash = colon + 1;
	char *third = strchr(*hash, ':');
	if (third)
		*third++ = '\0';
	*op = has_op(third);
	return 1;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Lines longer than USERS_LINE_MAX, or holding a NUL byte, are no
 * entry; only that line is passed over (getline gives each line's true
 * length, where fgets and strchr would be fooled by a NUL). */
int users_find(const char *path, const char *name, char *canon, char *hash,
	       size_t hashsize, char *dummy)
{
	int op;
	return users_lookup(path, name, canon, hash, hashsize, dummy, &op);
}

int users_lookup(const char *path, const char *name, char *canon,
		 char *hash, size_t hashsize, char *dummy, int *op)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int found = 0;
	*op = 0;
	if (!f)
		return -1;
	if (dummy)
		dummy[0] = '\0';
	while (!found && (len = getline(&line, &cap, f)) >= 0) {
		char *n, *h;
		int isop;
		if ((size_t)len >= USERS_LINE_MAX ||
		    memchr(line, '\0', (size_t)len) ||
		    !parse_entry(line, &n, &h, &isop))
			continue;
		if (name_same(n, strlen(n), name, strlen(name))) {
			copy_str(canon, NAME_LEN_MAX + 1, n);
			copy_str(hash, hashsize, h);
			*op = isop;
			found = 1;
		} else if (dummy && !dummy[0]) {
			copy_str(dummy, hashsize, h);
		}
	}
	/* getline's -1 is the end of the file, or an error (ENOMEM too) */
	int err = ferror(f) || (!found && !feof(f));
	free(line);
	fclose(f);
	if (err) {
		errno = EIO;
		return -1;
	}
	return found;
}

/* Compares in time that depends on the lengths only. */
static int same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned diff = la != lb;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(unsigned char)(i < la ? a[i] : 0) ^
			(unsigned)(unsigned char)(i < lb ? b[i] : 0);
	return diff == 0;
}

int users_check(const char *path, const char *name, const char *password,
		char *canon)
{
	int op;
	return users_check_op(path, name, password, canon, &op);
}

int users_check_op(const char *path, const char *name, const char *password,
		   char *canon, int *op)
{
	char hash[USERS_HASH_MAX], dummy[USERS_HASH_MAX];
	int found = users_lookup(path, name, canon, hash, sizeof hash, dummy,
				 op);
	if (found < 0)
		return -1;
	const char *setting = found ? hash : (dummy[0] ? dummy : DUMMY_SETTING);
	const char *got = crypt(password, setting);
	/* A hash that is not from crypt (e.g. "*" or "!") never matches. */
	int ok = found && got && got[0] != '*' && hash[0] == '$' &&
		 same(got, hash);
	return ok;
}

const char *users_hash(const char *password)
{
	static const char *const prefixes[] = { "$y$", "$6$" };
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		const char *salt = crypt_gensalt(prefixes[i], 0, NULL, 0);
		if (!salt)
			continue;
		const char *h = crypt(password, salt);
		if (h && h[0] == '$')
			return h;
	}
	return NULL;
}

/* Whether line is an entry for name (in any case). */
static int is_entry_of(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	return len > nlen && line[nlen] == ':' &&
	       name_same(line, nlen, name, nlen);
}

/* What a users file held for the name being edited: its first entry. */
struct old_entry {
	int found, op;
	char hash[USERS_HASH_MAX];
};

/* Notes line (an entry of the name being edited) in e, if first. */
static void note_old(const char *line, size_t len, struct old_entry *e)
{
	char buf[USERS_LINE_MAX], *n, *h;
	int op;
	if (e->found || len >= sizeof buf || memchr(line, '\0', len))
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (!parse_entry(buf, &n, &h, &op))
		return;
	e->found = 1;
	e->op = op;
	copy_str(e->hash, sizeof e->hash, h);
}

/* Copies every line of old except name's entries to out, noting the
 * first of those in e. */
static int copy_others(FILE *old, FILE *out, const char *name,
		       struct old_entry *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, old)) > 0) {
		if (is_entry_of(line, (size_t)n, name)) {
			note_old(line, (size_t)n, e);
			continue;
		}
		if (fwrite(line, 1, (size_t)n, out) != (size_t)n)
			break;
		if (line[n - 1] != '\n' && fputc('\n', out) == EOF)
			break;
	}
	free(line);
	return ferror(old) || ferror(out) ? -1 : 0;
}

/* The entry written for name: the new hash or the old one, the op word
 * set (1), cleared (0) or kept (-1).  -1 with ENOENT when the name has
 * no entry and no hash is given. */
static int write_entry(FILE *out, const char *name, const char *hash,
		       int op, const struct old_entry *e)
{
	if (!hash && !e->found) {
		errno = ENOENT;
		return -1;
	}
	if (op < 0)
		op = e->found && e->op;
	return fprintf(out, "%s:%s%s\n", name, hash ? hash : e->hash,
		       op ? ":op" : "") < 0 ? -1 : 0;
}

/* Fills the temporary file fd with the new contents. */
static int write_users(int fd, const char *path, const char *name,
		       const char *hash, int op)
{
	struct old_entry e = { 0, 0, "" };
	FILE *out = fdopen(fd, "w");
	if (!out)
		return -1;
	FILE *old = fopen(path, "r");
	int rc = 0;
	if (old) {
		rc = copy_others(old, out, name, &e);
		fclose(old);
	} else if (errno != ENOENT) {
		rc = -1;
	}
	if (rc == 0)
		rc = write_entry(out, name, hash, op, &e);
	if (rc == 0 && (fflush(out) != 0 || fsync(fd) != 0))
		rc = -1;
	int saved = errno;
	if (fclose(out) != 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
}

/* Takes the write lock on path's lock file, waiting for a run that
 * holds it.  Returns the lock's descriptor (closing it unlocks), or -1. */
static int lock_users(const char *path)
{
	char lock[4096];
	if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	while (fcntl(fd, F_SETLKW, &fl) != 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* Makes the rename itself durable: syncs the directory holding path. */
static int sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1),
			  path) >= (int)sizeof dir)
		return -1;
	return statefile_sync_dir(dir);
}

/* Gives the temporary file fd the old file's owner and group, so a
 * run as root leaves the file to the service user who reads it.  A
 * run as anyone else cannot give files away: fine when the owner and
 * group are already right, else an error naming the ids. */
static int keep_owner(int fd, const struct stat *old, char *err,
		      size_t errlen)
{
	struct stat now;
	if (fchown(fd, old->st_uid, old->st_gid) == 0)
		return 0;
	int saved = errno;
	if (fstat(fd, &now) == 0 && now.st_uid == old->st_uid &&
	    now.st_gid == old->st_gid)
		return 0;
	snprintf(err, errlen, "cannot keep the file's owner and group (uid "
		 "%ld, gid %ld): %s; run as that user or as root",
		 (long)old->st_uid, (long)old->st_gid, strerror(saved));
	errno = saved;
	return -1;
}

/* Owner, group and mode for the temporary file fd: the old file's
 * (old is NULL for a new file: the caller's, mode 0600).  The owner
 * first, as chown may clear set-id bits. */
static int set_attributes(int fd, const struct stat *old, char *err,
			  size_t errlen)
{
	if (old && keep_owner(fd, old, err, errlen) != 0)
		return -1;
	if (fchmod(fd, old ? old->st_mode & 07777 : 0600) != 0) {
		snprintf(err, errlen, "cannot set the new file's mode: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes the new file beside path and renames it over path. */
static int replace_users(const char *path, const char *name,
			 const char *hash, int op, char *err, size_t errlen)
{
	char tmp[4096];
	struct stat st;
	const struct stat *old = &st;
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return -1;
		old = NULL;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	if (set_attributes(fd, old, err, errlen) != 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (write_users(fd, path, name, hash, op) != 0 ||
	    rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return sync_dir(path);
}

int users_set(const char *path, const char *name, const char *hash,
	      char *err, size_t errlen)
{
	return users_edit(path, name, hash, -1, err, errlen);
}

int users_edit(const char *path, const char *name, const char *hash, int op,
	       char *err, size_t errlen)
{
	err[0] = '\0';
	int lock = lock_users(path);
	if (lock < 0) {
		snprintf(err, errlen, "cannot lock %s.lock: %s", path,
			 strerror(errno));
		return -1;
	}
	int rc = replace_users(path, name, hash, op, err, errlen);
	if (rc != 0 && !err[0])
		snprintf(err, errlen, "%s", errno == ENOENT && !hash ?
			 "no such user" : strerror(errno));
	int saved = errno;
	close(lock); /* releases the lock */
	errno = saved;
	return rc;
}
