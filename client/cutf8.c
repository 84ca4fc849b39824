/* cutf8.c — strict UTF-8 decoding and character widths. */
#include "cutf8.h"

int cutf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	if (len == 0)
		return CUTF8_INCOMPLETE;
	unsigned c = s[0];
	int n;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return CUTF8_INVALID;
	}
	for (int i = 1; i < n; i++) {
		if ((size_t)i >= len)
			return CUTF8_INCOMPLETE;
		if ((s[i] & 0xc0) != 0x80)
			return CUTF8_INVALID;
		c = (c << 6) | (s[i] & 0x3f);
		/* Reject overlong and out-of-range forms as early as the
		 * second byte, so a bad start is never "incomplete". */
		if (i == 1 && n == 3 && (c < (min >> 6) ||
					 (c >= 0x360 && c <= 0x37f)))
			return CUTF8_INVALID;
		if (i == 1 && n == 4 && (c < (min >> 12) || c > 0x10f))
			return CUTF8_INVALID;
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return CUTF8_INVALID;
	*cp = c;
	return n;
}

struct range {
	unsigned lo, hi;
};

/* Combining marks and zero-width characters most often met (a fixed
 * table: a terminal whose idea differs is off by a column or two on the
 * typed row, until the next redraw; nothing worse). */
static const struct range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x0610, 0x061a }, { 0x064b, 0x065f }, { 0x0670, 0x0670 },
	{ 0x0900, 0x0902 }, { 0x093c, 0x093c },
	{ 0x0941, 0x0948 }, { 0x094d, 0x094d }, { 0x0e31, 0x0e31 },
	{ 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e }, { 0x1160, 0x11ff },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0x3099, 0x309a },
	{ 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff },
	{ 0xe0100, 0xe01ef },
};

/* East Asian wide and fullwidth characters, and emoji. */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x2329, 0x232a }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
	{ 0xa000, 0xa4cf }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
	{ 0x1f200, 0x1f2ff }, { 0x1f300, 0x1f64f }, { 0x1f680, 0x1f6ff },
	{ 0x1f900, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd },
	{ 0x30000, 0x3fffd },
};

static int in_table(unsigned cp, const struct range *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= t[i].lo && cp <= t[i].hi)
			return 1;
	return 0;
}

int cutf8_width(unsigned cp)
{
	if (in_table(cp, zero, sizeof zero / sizeof zero[0]))
		return 0;
	if (in_table(cp, wide, sizeof wide / sizeof wide[0]))
		return 2;
	return 1;
}

size_t cutf8_prev(const char *s, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos--;
	return pos;
}

size_t cutf8_next(const char *s, size_t len, size_t pos)
{
	if (pos >= len)
		return len;
	pos++;
	while (pos < len && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos++;
	return pos;
}

/* Columns of the character at pos; 1 for a byte that is not UTF-8. */
static int width_at(const char *s, size_t len, size_t pos)
{
	unsigned cp;
	if (cutf8_decode((const unsigned char *)s + pos, len - pos, &cp) < 0)
		return 1;
	return cutf8_width(cp);
}

size_t cutf8_next_cluster(const char *s, size_t len, size_t pos)
{
	pos = cutf8_next(s, len, pos);
	while (pos < len && width_at(s, len, pos) == 0)
		pos = cutf8_next(s, len, pos);
	return pos;
}

size_t cutf8_prev_cluster(const char *s, size_t len, size_t pos)
{
	while (pos > 0) {
		pos = cutf8_prev(s, pos);
		if (width_at(s, len, pos) != 0)
			break;
	}
	return pos;
}

size_t cutf8_columns(const char *s, size_t len)
{
	size_t cols = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		int n = cutf8_decode(u + i, len - i, &cp);
		if (n < 0) {
			cols++; /* not expected: callers hold valid text */
			i++;
			continue;
		}
		cols += (size_t)cutf8_width(cp);
		i += (size_t)n;
	}
	return cols;
}
