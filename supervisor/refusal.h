/* refusal.h — turning a connection away before any program starts:
 * one line to the peer, one line to the log (within its kind's bound
 * per second, lib/ratelog.h), and the socket closed.  Shared by the
 * bans (banwatch.h) and the address rules (rulefile.h). */
#ifndef NATTERD_REFUSAL_H
#define NATTERD_REFUSAL_H

#include "ratelog.h"

/* Writes line (CR LF ended) to fd without waiting, logs "refused PEER:
 * why" unless log's bound this second is reached, and closes fd. */
void refusal_send(int fd, const char *peer, const char *line,
		  struct ratelog *log, const char *why);

#endif
