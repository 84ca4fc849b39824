/* term.h — turning a terminal's echo off for the password, and the
 * descriptor flags put back on every way out. */
#ifndef NATTER_TERM_H
#define NATTER_TERM_H

/* Turns echo off on fd (a terminal); 0 or -1. */
int term_echo_off(int fd);
/* Turns it back on if term_echo_off turned it off. */
void term_echo_restore(void);
/* Sets O_NONBLOCK on fd, remembering its flags for term_flags_restore. */
int term_nonblock(int fd);
void term_flags_restore(void);

#endif
