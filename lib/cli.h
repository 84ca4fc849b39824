/* cli.h — small pieces every program's command line and secrets share. */
#ifndef NATTER_CLI_H
#define NATTER_CLI_H

#include <stddef.h>

/* getopt's own messages name argv[0]'s path; with opterr = 0 a program
 * prints this instead: "option -x needs a value" when getopt returned
 * ':', else "unknown option -x".  Writes into buf and returns it. */
const char *cli_option_problem(int getopt_result, int opt, char *buf,
			       size_t size);

/* The long forms people try first, when they are argv[1] alone:
 * "--help" returns 'h', "--version" returns 'V', anything else 0, so a
 * program answers them as it answers its own -h and -V. */
int cli_long_option(int argc, char *const *argv);
/* -V: "NAME VERSION" on stdout, then exit 0 (1 if it cannot be written). */
_Noreturn void cli_version(const char *name);

/* Overwrites a secret where the compiler cannot skip it. */
void cli_wipe(char *p, size_t len);

#endif
