/* listing.h — lists of names and rooms, sent as INFO lines that end a
 * reply (reply.h): a long list is chunked and cut short ("and N more")
 * so that asking cannot get anyone cut off. */
#ifndef NATTER_BROKER_LISTING_H
#define NATTER_BROKER_LISTING_H

#include "chat.h"

/* INFO lines to c: prefix, then the names in r but `except`; the last
 * line's flags are `last` (FRAME_LAST, or 0 when more follows). */
void list_members(struct chat *ch, struct chatter *c, const struct room *r,
		  const char *prefix, const struct chatter *except,
		  uint8_t last);
/* INFO lines to c: the rooms and how many are in each, by name. */
void list_rooms(struct chat *ch, struct chatter *c);

#endif
