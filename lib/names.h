/* names.h — what a person's name and a room's name may be. */
#ifndef NATTER_NAMES_H
#define NATTER_NAMES_H

#include <stddef.h>

#define NAME_LEN_MAX 16 /* letters, digits, '_' and '-' */
#define ROOM_LEN_MAX 32 /* the same characters */
#define DEFAULT_ROOM "lobby"

int name_valid(const char *s, size_t len);
int room_valid(const char *s, size_t len);
/* s (NUL-terminated) in ASCII lower case into out, at most NAME_LEN_MAX
 * bytes of it: the key a name has wherever case must not count (out
 * holds NAME_LEN_MAX + 1). */
void name_lower(char *out, const char *s);

#endif
