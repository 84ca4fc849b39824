/* unicode.c — invisible characters and emoji, by code point. */
#include "unicode.h"

#include <stddef.h>

struct range {
	uint32_t lo, hi;
};

/* Sorted, not overlapping: see unicode.h for what each is. */
static const struct range invisible[] = {
	{ 0x0080, 0x009F },   /* C1 controls */
	{ 0x00AD, 0x00AD },   /* soft hyphen */
	{ 0x034F, 0x034F },   /* combining grapheme joiner */
	{ 0x061C, 0x061C },   /* Arabic letter mark */
	{ 0x17B4, 0x17B5 },   /* Khmer inherent vowels */
	{ 0x180E, 0x180E },   /* Mongolian vowel separator */
	{ 0x200B, 0x200C },   /* zero-width space, non-joiner */
	{ 0x200E, 0x200F },   /* left-to-right, right-to-left marks */
	{ 0x2028, 0x202E },   /* line/paragraph separators, bidi controls */
	{ 0x2060, 0x206F },   /* word joiner, invisible operators,
				 isolates, deprecated format characters */
	{ 0x3164, 0x3164 },   /* Hangul filler */
	{ 0xFEFF, 0xFEFF },   /* byte order mark, zero-width no-break space */
	{ 0xFFA0, 0xFFA0 },   /* halfwidth Hangul filler */
	{ 0xFFF9, 0xFFFB },   /* interlinear annotation */
	{ 0x1D173, 0x1D17A }, /* musical symbol format characters */
	{ 0xE0000, 0xE007F }, /* tags */
};

static const struct range emoji[] = {
	{ 0x00A9, 0x00A9 },   { 0x00AE, 0x00AE },   { 0x203C, 0x203C },
	{ 0x2049, 0x2049 },   { 0x2122, 0x2122 },   { 0x2139, 0x2139 },
	{ 0x2194, 0x21AA },   { 0x231A, 0x23FF },   { 0x24C2, 0x24C2 },
	{ 0x25AA, 0x25FE },   { 0x2600, 0x27BF },   { 0x2934, 0x2935 },
	{ 0x2B05, 0x2B55 },   { 0x3030, 0x3030 },   { 0x303D, 0x303D },
	{ 0x3297, 0x3299 },   { 0x1F000, 0x1FAFF },
};

static int in(const struct range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int unicode_invisible(uint32_t cp)
{
	return in(invisible, sizeof invisible / sizeof invisible[0], cp);
}

int unicode_emoji(uint32_t cp)
{
	return in(emoji, sizeof emoji / sizeof emoji[0], cp);
}

int unicode_emoji_modifier(uint32_t cp)
{
	return cp == 0xFE0F || (cp >= 0x1F3FB && cp <= 0x1F3FF);
}
