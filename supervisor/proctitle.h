/* proctitle.h — what `ps` shows for natterd's launchers ("natterd:
 * launcher"): the title is written over natterd's own argument strings,
 * which is all /proc/PID/cmdline and the BSDs' ps read, and, on Linux,
 * the 15-byte command name too (what `ps -e`, top and killall use). */
#ifndef NATTERD_PROCTITLE_H
#define NATTERD_PROCTITLE_H

/* Notes where argv's strings lie (call it first thing in main, before
 * anything keeps a pointer into them that a title would overwrite). */
void proctitle_init(int argc, char **argv);
/* In a child: the title, cut to the room argv had, and name as the
 * command name where the system has one.  Pointers into the old argv
 * strings read the title afterwards. */
void proctitle_set(const char *title, const char *name);

#endif
