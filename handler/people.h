/* people.h — the person's commands about people: /away, /back,
 * /ignore, /unignore, /bell.  Below chat.c: it checks the command's
 * words, shows usage errors, and returns the request chat.c is to send
 * to the broker (which keeps away states and ignore lists). */
#ifndef NATTER_PEOPLE_H
#define NATTER_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "mention.h"
#include "names.h"
#include "person.h"
#include "text.h"

#define AWAY_DEFAULT_TEXT "not here"

enum people_result {
	PEOPLE_NOT_MINE, /* not one of these commands */
	PEOPLE_DONE,     /* handled here (a notice was shown) */
	PEOPLE_SEND,     /* send req to the broker and await its reply */
};

struct people_req {
	uint8_t type;                /* FRAME_AWAY, _IGNORE, _UNIGNORE */
	char a[NAME_LEN_MAX + 1];    /* the name, or "" */
	char text[TEXT_CLEAN_MAX(AWAY_TEXT_MAX) + 1];
	size_t textlen;
};

/* cmd (clen bytes, "/away" ...) and its argument (alen bytes). */
enum people_result people_command(struct person *p, enum bell_mode *bell,
				  const char *cmd, size_t clen,
				  const char *arg, size_t alen,
				  struct people_req *req);

#endif
