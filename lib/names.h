/* names.h — what a person's name and a room's name may be. */
#ifndef NATTER_NAMES_H
#define NATTER_NAMES_H

#include <stddef.h>

#define NAME_LEN_MAX 16 /* letters, digits, '_' and '-' */
#define ROOM_LEN_MAX 32 /* the same characters */
#define DEFAULT_ROOM "lobby"

int name_valid(const char *s, size_t len);
int room_valid(const char *s, size_t len);

#endif
