/* mentions.c — a name said as a word (mentions.h). */
#include "mentions.h"

#include <string.h>
#include <strings.h>

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int name_mentioned(const char *text, size_t len, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > len)
		return 0;
	for (size_t i = 0; i + n <= len; i++) {
		if (strncasecmp(text + i, name, n) != 0)
			continue;
		if ((i == 0 || !name_char(text[i - 1])) &&
		    (i + n == len || !name_char(text[i + n])))
			return 1;
	}
	return 0;
}
