/* exitcode.h — the exit statuses every natter program uses, as
 * ucspi-tcp's: 0 fine, 100 permanent (fix the command line, the
 * configuration or the files: trying again will not help), 111
 * temporary (try again: a port busy, a lock held, resources ran out). */
#ifndef NATTER_EXITCODE_H
#define NATTER_EXITCODE_H

#define EXIT_OK 0
#define EXIT_USAGE 100
#define EXIT_TEMP 111

#endif
