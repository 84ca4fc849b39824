/* cli.h — small pieces every program's command line and secrets share. */
#ifndef NATTER_CLI_H
#define NATTER_CLI_H

#include <stddef.h>

/* getopt's own messages name argv[0]'s path; with opterr = 0 a program
 * prints this instead: "option -x needs a value" when getopt returned
 * ':', else "unknown option -x".  Writes into buf and returns it. */
const char *cli_option_problem(int getopt_result, int opt, char *buf,
			       size_t size);

/* Overwrites a secret where the compiler cannot skip it. */
void cli_wipe(char *p, size_t len);

#endif
