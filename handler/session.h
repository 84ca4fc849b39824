/* session.h — one person's session, the top of natter-session: its
 * event loop dispatches to the modules below it, which never call back
 * up (doc/DESIGN.md, "The handler's layers"):
 *
 *   session.c   the state, the loop, timers; ends the session
 *   ├── login.c   the dialogue before chatting (banner.c, users.c)
 *   ├── chat.c    lines, commands, replies owed
 *   ├── person.c  fds 0/1: output queue, input lines (telnet, line, term)
 *   └── bconn.c   the broker link: frames, loss, reconnecting
 *
 * login and chat also use person and bconn. */
#ifndef NATTER_SESSION_H
#define NATTER_SESSION_H

#include "options.h"

/* Runs the session on fds 0 and 1 until it ends; returns the exit
 * status (lib/exitcode.h). */
int session_run(const struct session_config *cfg);

#endif
