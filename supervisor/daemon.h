/* daemon.h — detaching from the terminal, as inetd does.
 *
 * daemon_detach forks, calls setsid and forks again; the process that
 * returns is the daemon, with the terminal's stderr still open so that
 * errors found while it starts reach the operator.  The original
 * process waits until the daemon calls daemon_ready (exit 0) or fatal
 * (exit with fatal's status), or ends without either (exit 111). */
#ifndef NATTERD_DAEMON_H
#define NATTERD_DAEMON_H

/* Returns in the daemon only; fatal if a fork fails. */
void daemon_detach(void);
/* chdir / and stdin, stdout and stderr to /dev/null: what the daemon
 * and its broker do once they serve.  Returns 0, or -1 with errno set. */
int daemon_quiet(void);
/* daemon_quiet, then lets the original process exit 0.  Returns 0, or
 * -1 with errno set. */
int daemon_ready(void);
/* In a child of the daemon: closes its copy of the starter's pipe. */
void daemon_forget(void);

#endif
