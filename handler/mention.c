/* mention.c — mentions and the bell (mention.h). */
#include "mention.h"
#include "mentions.h"

#include <string.h>
#include <strings.h>

static const char *const bell_names[] = { "off", "mention", "private",
					  "all" };

int mention_in(const char *text, size_t len, const char *name)
{
	return name_mentioned(text, len, name);
}

static int from_self(const struct frame *f, const char *self)
{
	return self && strlen(self) == f->alen &&
	       memcmp(self, f->a, f->alen) == 0;
}

int mention_of(const struct frame *f, const char *self)
{
	return (f->type == FRAME_MSG || f->type == FRAME_ACTION) &&
	       !from_self(f, self) && mention_in(f->text, f->textlen, self);
}

int mention_bell(enum bell_mode mode, const struct frame *f,
		 const char *self)
{
	int priv = f->type == FRAME_PRIVATE || f->type == FRAME_STORED;
	int pub = (f->type == FRAME_MSG || f->type == FRAME_ACTION) &&
		  !from_self(f, self);
	switch (mode) {
	case BELL_OFF: return 0;
	case BELL_MENTION: return mention_of(f, self);
	case BELL_PRIVATE: return priv || mention_of(f, self);
	case BELL_ALL: return priv || pub;
	}
	return 0;
}

int bell_parse(const char *word, size_t len)
{
	for (int i = 0; i < 4; i++)
		if (strlen(bell_names[i]) == len &&
		    strncasecmp(word, bell_names[i], len) == 0)
			return i;
	return -1;
}

const char *bell_name(enum bell_mode mode)
{
	return (unsigned)mode < 4 ? bell_names[mode] : "?";
}
