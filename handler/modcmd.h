/* modcmd.h — the operators' commands typed in a session: /kick, /ban,
 * /unban, /bans, /mute, /unmute, /topic, /wall (natter-session(8)).
 * Each becomes one MOD frame (lib/natter-protocol.h), whose reply the
 * chat waits for; the broker judges the arguments.  A person who is
 * not an operator gets one line saying so (/topic without text, which
 * shows the topic, is anyone's). */
#ifndef NATTER_HANDLER_MODCMD_H
#define NATTER_HANDLER_MODCMD_H

#include "chat.h"

/* 1 when cmd (clen bytes, "/kick") is an operator command, handled;
 * arg is what follows it (alen bytes). */
int modcmd_line(struct chat *c, const char *cmd, size_t clen,
		const char *arg, size_t alen);
/* The lines /help adds for an operator. */
extern const char modcmd_help[];

#endif
