/* unicode.h — which characters may not reach another person's screen
 * although they are valid UTF-8, and which are emoji (for the joiner).
 * Pure functions of a code point. */
#ifndef NATTER_UNICODE_H
#define NATTER_UNICODE_H

#include <stdint.h>

/* 1 for a character that draws nothing, or moves or reorders what
 * others draw, so one person could make text look like what it is not:
 * the C1 controls, the bidirectional marks, embeddings, overrides and
 * isolates ("Trojan Source"), the zero-width space, non-joiner, word
 * joiner and byte order mark, the line and paragraph separators, the
 * invisible operators and deprecated format characters, the soft
 * hyphen, the combining grapheme joiner, the Hangul fillers U+3164 and
 * U+FFA0 (an invisible "letter"), the Khmer inherent vowels, the
 * Mongolian vowel separator, the interlinear annotation marks, the
 * musical format characters and the tag characters.  The zero-width
 * joiner U+200D is not here: it is kept inside an emoji sequence only
 * (text.c decides, it sees the neighbours). */
int unicode_invisible(uint32_t cp);
/* 1 for a code point in the emoji blocks: what a zero-width joiner may
 * stand between, and what a variation selector or skin tone follows. */
int unicode_emoji(uint32_t cp);
/* 1 for what may follow an emoji inside one emoji sequence without
 * ending it: VS16 U+FE0F and the skin tone modifiers. */
int unicode_emoji_modifier(uint32_t cp);

#define UNICODE_ZWJ 0x200D

#endif
