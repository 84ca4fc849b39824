/* options.h — what natter-session was told (main.c parses it): read by
 * the session and handed down, in parts, to the modules below it. */
#ifndef NATTER_OPTIONS_H
#define NATTER_OPTIONS_H

#include "peer.h"

struct session_config {
	char broker_path[256];
	const char *users_path; /* NULL: open mode */
	const char *motd_path;  /* NULL: the default banner */
	const char *fixed_name; /* -n: logged in as this, no ID or PW */
	int login_timeout_s;
	int idle_timeout_s;     /* 0: off */
	int reconnect_limit_s;  /* give up on a lost broker after this */
	int rate, burst;        /* lines per second (0: off), burst */
	int machine;            /* -m: machine mode from the start */
	int history_lines;      /* -H, NATTER_HISTORY: replayed on entering */
	char peer[PEER_MAX];
};

#endif
