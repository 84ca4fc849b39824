/* cutf8.h — the little UTF-8 the client needs: decoding one character
 * strictly (no overlong forms, surrogates or values past U+10FFFF) and
 * how many terminal columns a character takes. */
#ifndef NATTER_CUTF8_H
#define NATTER_CUTF8_H

#include <stddef.h>

#define CUTF8_INVALID (-1)    /* not the start of a valid character */
#define CUTF8_INCOMPLETE (-2) /* a valid start, cut short by len */

/* Decodes the character at s.  Returns its length in bytes (1-4) and
 * stores the code point in *cp, or CUTF8_INVALID / CUTF8_INCOMPLETE. */
int cutf8_decode(const unsigned char *s, size_t len, unsigned *cp);
/* Columns a printable code point takes: 0 (combining), 1 or 2 (wide
 * East Asian and emoji).  A fixed table, independent of the locale. */
int cutf8_width(unsigned cp);
/* The byte offset where the character before offset pos starts. */
size_t cutf8_prev(const char *s, size_t pos);
/* The byte offset just past the character at pos (pos < len). */
size_t cutf8_next(const char *s, size_t len, size_t pos);
/* The same, stepping over whole characters as a person sees them: a
 * character and the zero-width marks that follow it (e + U+0301). */
size_t cutf8_prev_cluster(const char *s, size_t len, size_t pos);
size_t cutf8_next_cluster(const char *s, size_t len, size_t pos);
/* Columns taken by s[0..len), which holds valid UTF-8. */
size_t cutf8_columns(const char *s, size_t len);

#endif
