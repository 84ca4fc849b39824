/* fname.h — the name a shared file travels under (issue 16): cleaned
 * by the sender's client, checked by the session and the broker, and
 * cleaned again by the receiver's client before it becomes a file, so
 * no offered name can reach outside the download directory. */
#ifndef NATTER_FNAME_H
#define NATTER_FNAME_H

#include <stddef.h>

/* The longest name kept (bytes): room for " (999)" and a temporary
 * prefix under any file system's 255. */
#define FNAME_MAX 200

/* Cleans the len bytes at in into out (size > FNAME_MAX): only what
 * follows the last '/' or '\\'; control bytes and bytes that are not
 * valid UTF-8 become '_'; a leading '.' becomes '_' (no hidden files,
 * no "." or ".."); spaces at either end go; cut to FNAME_MAX bytes at a
 * character's start.  Returns the cleaned length, 0 when nothing is
 * left (the name is refused). */
size_t fname_clean(const char *in, size_t len, char *out, size_t size);
/* 1 when the len bytes at s are already a clean name. */
int fname_is_clean(const char *s, size_t len);
/* name with " (n)" before its extension ("report (1).pdf"), or name
 * itself for n 0, into out.  0, or -1 when out is too small. */
int fname_numbered(const char *name, unsigned n, char *out, size_t size);

#endif
