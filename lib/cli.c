/* cli.c — see cli.h. */
#include "cli.h"

#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_long_option(int argc, char *const *argv)
{
	if (argc < 2)
		return 0;
	if (strcmp(argv[1], "--help") == 0)
		return 'h';
	if (strcmp(argv[1], "--version") == 0)
		return 'V';
	return 0;
}

void cli_version(const char *name)
{
	if (printf("%s %s\n", name, NATTER_VERSION) < 0 || fflush(stdout) != 0)
		exit(1);
	exit(0);
}
