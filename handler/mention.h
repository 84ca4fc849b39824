/* mention.h — when a line is for you: your name said in a public line
 * (a mention), and when the terminal bell rings (/bell).  Pure
 * functions, no I/O: any display of a public line (live or replayed)
 * can ask them. */
#ifndef NATTER_MENTION_H
#define NATTER_MENTION_H

#include <stddef.h>

#include "frame.h"

enum bell_mode {
	BELL_OFF,     /* never */
	BELL_MENTION, /* a public line or action that mentions you */
	BELL_PRIVATE, /* that, and private messages to you */
	BELL_ALL,     /* every line another person sends you */
};
#define BELL_DEFAULT BELL_MENTION

/* Whether name occurs in text as a word of its own (lib/mentions.h). */
int mention_in(const char *text, size_t len, const char *name);
/* Whether f is another's public line or action that mentions self. */
int mention_of(const struct frame *f, const char *self);
/* Whether showing f to self rings the bell under mode. */
int mention_bell(enum bell_mode mode, const struct frame *f,
		 const char *self);
/* "off", "mention", "private" or "all" (len bytes, any case) as a mode;
 * -1 for another word. */
int bell_parse(const char *word, size_t len);
const char *bell_name(enum bell_mode mode);

#endif
