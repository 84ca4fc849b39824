/* statefile.h — small files in a state directory, written atomically
 * (a temporary file beside, fsync, rename, fsync of the directory) and
 * read with a bound.  The broker keeps its bans and topics so; natterd
 * reads the bans. */
#ifndef NATTER_STATEFILE_H
#define NATTER_STATEFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define STATEFILE_MAX (128 * 1024) /* bytes read of one file */

/* Replaces dir/name with len bytes at buf, creating dir (0700) if it
 * is missing.  0, or -1 with errno (nothing changed then). */
int statefile_write(const char *dir, const char *name, const char *buf,
		    size_t len);
/* The same without the fsyncs: it lasts a crash of the process, not
 * of the machine (for state that dies with the machine's processes
 * anyway: offers of files between sessions), and never waits for the
 * disk. */
int statefile_write_nosync(const char *dir, const char *name,
			   const char *buf, size_t len);
/* Reads at most size bytes of dir/name into buf: the count, 0 for a
 * missing file, -1 with errno.  *st (if not NULL) gets its stat. */
ssize_t statefile_read(const char *dir, const char *name, char *buf,
		       size_t size, struct stat *st);
/* fsyncs the directory dir, so a rename in it lasts a power cut: 0, or
 * -1 with errno. */
int statefile_sync_dir(const char *dir);
/* dir/name in buf: 0, or -1 (ENAMETOOLONG). */
int statefile_path(char *buf, size_t size, const char *dir,
		   const char *name);

#endif
