/* ctty.h — the terminal's and descriptors' settings, changed for the
 * session and always put back.
 *
 * ctty_restore may be called any number of times, from any exit path
 * (it is also registered with atexit), but never from a signal handler:
 * signals reach the event loop through lib/selfpipe.h. */
#ifndef NATTER_CTTY_H
#define NATTER_CTTY_H

/* Makes fd non-blocking, remembering its flags (fds 0 and 1 may share
 * one open file description with the shell: the flags must go back).
 * 0, or -1 with errno. */
int ctty_nonblock(int fd);
/* Raw-ish mode on the terminal fd: no line buffering, no echo, but
 * signals (^C, ^Z, ^\) still raise signals.  0, or -1 with errno. */
int ctty_raw(int fd);
/* Echo on or off on a terminal left in line mode (a script typed at a
 * terminal whose output goes elsewhere): off while the server echoes,
 * so a password never shows.  The newline still echoes, as getpass(3)
 * would.  0, or -1 with errno. */
int ctty_echo(int fd, int on);
/* Puts raw mode back after ctty_restore (on resuming after ^Z). */
int ctty_reraw(void);
/* Puts back the terminal mode and descriptor flags that were saved. */
void ctty_restore(void);
/* The terminal's width in columns (80 when unknown). */
int ctty_width(int fd);

#endif
