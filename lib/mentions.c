/* mentions.c — a name said as a word (mentions.h). */
#include "mentions.h"

#include <string.h>
#include <strings.h>

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* ASCII only, as names are (name_char); a byte of UTF-8 is left. */
static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int name_mentioned(const char *text, size_t len, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > len)
		return 0;
	/* Every line to everyone passes here: compare only where a word
	 * starts with the name's first letter, not at every byte. */
	char first = fold(name[0]);
	for (size_t i = 0; i + n <= len; i++) {
		if (fold(text[i]) != first || (i > 0 && name_char(text[i - 1])))
			continue;
		if (strncasecmp(text + i, name, n) == 0 &&
		    (i + n == len || !name_char(text[i + n])))
			return 1;
	}
	return 0;
}
