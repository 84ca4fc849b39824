/* namecmp.h — the one rule for when two names (or rooms) are the same
 * person (or room): ASCII letters compare without regard to case, so
 * "Ann" and "ann" are one name, as the broker treats them. */
#ifndef NATTER_NAMECMP_H
#define NATTER_NAMECMP_H

#include <stddef.h>

/* 1 when a (alen bytes) and b (blen bytes) are the same name. */
int name_same(const char *a, size_t alen, const char *b, size_t blen);

#endif
