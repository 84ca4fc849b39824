/* keepalive.h — a dead connection frees its name within minutes: TCP
 * keepalive on the person's socket with short timers.  With the
 * system's defaults a peer that vanished (a laptop closed, a network
 * gone) is noticed only after two hours and some, holding the name all
 * that time; with these it is noticed after KEEPALIVE_IDLE_S of
 * silence plus KEEPALIVE_COUNT unanswered probes KEEPALIVE_INTVL_S
 * apart: at most 2 minutes (KEEPALIVE_BOUND_S).  A live client costs
 * one empty segment each way a minute, only while nothing else flows. */
#ifndef NATTER_KEEPALIVE_H
#define NATTER_KEEPALIVE_H

#define KEEPALIVE_IDLE_S 60
#define KEEPALIVE_INTVL_S 10
#define KEEPALIVE_COUNT 6
#define KEEPALIVE_BOUND_S \
	(KEEPALIVE_IDLE_S + KEEPALIVE_INTVL_S * KEEPALIVE_COUNT)

/* Turns keepalive on for fd with the timers above where the system
 * lets them be set (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).  0; -1
 * with errno when fd is not a TCP socket or a setting failed (the
 * session goes on either way). */
int keepalive_set(int fd);

#endif
