/* fname.c — cleaning the names of shared files (fname.h). */
#include "fname.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 character at p (at most left bytes),
 * or 0: overlong forms, surrogates and code points past U+10FFFF are
 * not valid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
		   c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (n == 0 || n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

size_t fname_clean(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = 0, o = 0;
	if (size <= FNAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '/' || p[i] == '\\')
			start = i + 1;
	while (start < len && p[start] == ' ')
		start++;
	for (size_t i = start; i < len;) {
		size_t n = utf8_len(p + i, len - i);
		int bad = n == 0 || p[i] < 0x20 || p[i] == 0x7f;
		size_t w = bad ? 1 : n;
		if (o + w > FNAME_MAX)
			break;
		if (bad)
			out[o] = '_';
		else
			memcpy(out + o, p + i, n);
		o += w;
		i += bad ? 1 : n;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (o > 0 && out[0] == '.')
		out[0] = '_';
	out[o] = '\0';
	return o;
}

int fname_is_clean(const char *s, size_t len)
{
	char buf[FNAME_MAX + 1];
	return len > 0 && len <= FNAME_MAX &&
	       fname_clean(s, len, buf, sizeof buf) == len &&
	       memcmp(buf, s, len) == 0;
}

int fname_numbered(const char *name, unsigned n, char *out, size_t size)
{
	size_t len = strlen(name), stem = len;
	const char *dot = strrchr(name, '.');
	if (dot && dot != name)
		stem = (size_t)(dot - name);
	int w = n == 0 ? snprintf(out, size, "%s", name)
		       : snprintf(out, size, "%.*s (%u)%s", (int)stem, name, n,
				  name + stem);
	return w < 0 || (size_t)w >= size ? -1 : 0;
}
