/* proctitle.h — what `ps` shows for natterd's launchers ("natterd:
 * launcher"): the title is written over natterd's own argument strings,
 * which is all /proc/PID/cmdline and the BSDs' ps read, and, on Linux,
 * the 15-byte command name too (what `ps -e`, top and killall use). */
#ifndef NATTERD_PROCTITLE_H
#define NATTERD_PROCTITLE_H

/* Notes where argv's strings lie (call it first thing in main, before
 * anything keeps a pointer into them that a title would overwrite). */
void proctitle_init(int argc, char **argv);
/* Moves the environment's strings to the heap (environ then points to
 * the copies) and adds the room they had, when it follows argv's, to
 * the title's: a program started with a short argv (natter-session)
 * can then show a longer title.  Linux's /proc/PID/cmdline reads on
 * past argv's end when its last byte is not a NUL.  0, or -1 when
 * memory ran out (nothing changed). */
int proctitle_take_environ(void);
/* In a child: the title, cut to the room argv had, and name as the
 * command name where the system has one.  Pointers into the old argv
 * strings read the title afterwards. */
void proctitle_set(const char *title, const char *name);

#endif
