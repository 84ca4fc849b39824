/* cmention.c — which lines mention the person (cmention.h). */
#include "cmention.h"
#include "mentions.h"

#include <string.h>

/* The sender's name after line[start] up to the byte stop (']' or ' '):
 * 1 when it is self. */
static int sender_is(const char *line, size_t len, size_t start, char stop,
		     const char *self, size_t *end)
{
	const char *p = memchr(line + start, stop, len - start);
	if (!p)
		return -1;
	*end = (size_t)(p - line);
	size_t n = *end - start;
	return strlen(self) == n && memcmp(line + start, self, n) == 0;
}

int cmention_line(const char *line, size_t len, const char *self)
{
	size_t end;
	if (!self || !*self || len < 3)
		return 0;
	if (line[0] == '[') { /* "[bob] : text" */
		int me = sender_is(line, len, 1, ']', self, &end);
		if (me != 0 || len - end < 4 || memcmp(line + end, "] : ", 4))
			return 0;
		end += 4;
	} else if (line[0] == '*' && line[1] == ' ' && line[2] != '*') {
		int me = sender_is(line, len, 2, ' ', self, &end);
		if (me != 0)
			return 0;
	} else {
		return 0;
	}
	return name_mentioned(line + end, len - end, self);
}
