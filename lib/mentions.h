/* mentions.h — the one rule for when a line mentions a name, shared by
 * natter-session (its bell) and natter (its highlight). */
#ifndef NATTER_MENTIONS_H
#define NATTER_MENTIONS_H

#include <stddef.h>

/* Whether name occurs in text (len bytes) as a word of its own: without
 * regard to ASCII case, with no letter, digit, '_' or '-' right before
 * or after it ("ann:" and "@ann" mention ann; "joanna" and "ann_b" do
 * not). */
int name_mentioned(const char *text, size_t len, const char *name);

#endif
