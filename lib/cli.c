/* cli.c — see cli.h. */
#include "cli.h"

#include <stdio.h>

const char *cli_option_problem(int getopt_result, int opt, char *buf,
			       size_t size)
{
	if (getopt_result == ':')
		snprintf(buf, size, "option -%c needs a value", opt);
	else
		snprintf(buf, size, "unknown option -%c",
			 opt > 32 && opt < 127 ? opt : '?');
	return buf;
}

void cli_wipe(char *p, size_t len)
{
	volatile char *v = p;
	while (len--)
		*v++ = 0;
}
