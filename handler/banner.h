/* banner.h — what a person sees first. */
#ifndef NATTER_BANNER_H
#define NATTER_BANNER_H

#include "person.h"

/* Bytes of the MOTD file shown at most; the rest is left out. */
#define BANNER_MAX 8192

/* Queues for the person the MOTD file (motd_path: -M or $NATTER_MOTD,
 * NULL for none; each line cleaned of control characters and ended
 * with CR LF) or, when there is none or it cannot be read, the default
 * banner. */
void banner_send(struct person *p, const char *motd_path);

#endif
