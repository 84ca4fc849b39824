/* banner.h — what a person sees first. */
#ifndef NATTER_BANNER_H
#define NATTER_BANNER_H

#include "session.h"

/* Bytes of the MOTD file shown at most; the rest is left out. */
#define BANNER_MAX 8192

/* Queues the MOTD file (-M or $NATTER_MOTD: each line cleaned of
 * control characters and ended with CR LF) or, when there is none or it
 * cannot be read, the default banner. */
void banner_send(struct session *s);

#endif
