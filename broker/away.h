/* away.h — who is away (with a message) and how long each person has
 * been idle (since the last frame its handler sent: a line, a command).
 * Kept in memory only: a broker restart brings everyone back.  With
 * natter-broker -R the other hosts hear each change (xhost.h). */
#ifndef NATTER_BROKER_AWAY_H
#define NATTER_BROKER_AWAY_H

#include "chat.h"

#include <stddef.h>

#define AWAY_IDLE_SHOWN_MS 60000 /* idle shown in /who from a minute on */
/* The longest label: a name, the away message, an idle time. */
#define AWAY_LABEL_MAX (NAME_LEN_MAX + AWAY_TEXT_MAX + 48)

/* AWAY: text is the message, or empty for "back".  Answers INFO. */
void away_request(struct chat *ch, struct chatter *c, const struct frame *f);
/* m's name as /who shows it: "ann", "ann (idle 5m)", "ann (away:
 * lunch; idle 2h)".  Returns the length (out: AWAY_LABEL_MAX bytes). */
size_t away_label(struct member *m, char *out, size_t size, long long now);
/* After the OK to a PRIV to `to`, who is away: the reply's last frame,
 * INFO "to is away: message". */
void away_tell(struct chat *ch, struct chatter *c, const struct chatter *to);
/* The same for a person of another host (its name, its message). */
void away_tell_name(struct chat *ch, struct chatter *c, const char *name,
		    const char *away);
void away_free(struct chatter *c);

#endif
