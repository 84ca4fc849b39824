/* cmention.h — a line that mentions the person, highlighted.
 *
 * natter learns its name from the log-in line ("Log-in success!!
 * [ann]") and marks another's public line or action that says it
 * ("[bob] : hi ann", "* bob pokes ann"; lib/mentions.h's rule) in
 * reverse video (ESC [7m ... ESC [0m), written by natter itself after
 * the server's text was scrubbed, and only on a terminal. */
#ifndef NATTER_CMENTION_H
#define NATTER_CMENTION_H

#include <stddef.h>

#define CMENTION_ON "\033[7m"
#define CMENTION_OFF "\033[0m"

/* Whether line (len bytes, cleaned, no line end) is a public line or
 * action from someone other than self that mentions self. */
int cmention_line(const char *line, size_t len, const char *self);

#endif
