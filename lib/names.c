/* names.c — one rule for names everywhere they are checked. */
#include "names.h"

static int word_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

int name_valid(const char *s, size_t len)
{
	return word_valid(s, len, NAME_LEN_MAX);
}

int room_valid(const char *s, size_t len)
{
	return word_valid(s, len, ROOM_LEN_MAX);
}

void name_lower(char *out, const char *s)
{
	size_t i = 0;
	for (; s[i] && i < NAME_LEN_MAX; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a')
						    : s[i];
	out[i] = '\0';
}
