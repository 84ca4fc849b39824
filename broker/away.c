/* away.c — away messages and idle times (away.h). */
#include "away.h"
#include "reply.h"
#include "xhost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void away_request(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char msg[AWAY_TEXT_MAX + 32];
	if (f->textlen == 0) {
		int was = c->away != NULL;
		reply_only(ch, c, FRAME_INFO, was ? "You are back." :
			   "You were not away.");
		away_free(c);
		if (was)
			xhost_away(ch, c);
		return;
	}
	char *text = malloc(f->textlen + 1);
	if (!text) {
		reply_only(ch, c, FRAME_ERR, "The broker is out of memory.");
		return;
	}
	frame_field(text, f->textlen + 1, f->text, f->textlen);
	away_free(c);
	c->away = text;
	xhost_away(ch, c); /* the other hosts hear it */
	snprintf(msg, sizeof msg, "You are away: %s", text);
	reply_only(ch, c, FRAME_INFO, msg);
}

/* "5m", "3h", "2d": whole units, rounded down. */
static void idle_text(char *out, size_t size, long long ms)
{
	long long m = ms / 60000;
	if (m < 60)
		snprintf(out, size, "%lldm", m);
	else if (m < 48 * 60)
		snprintf(out, size, "%lldh", m / 60);
	else
		snprintf(out, size, "%lldd", m / (24 * 60));
}

size_t away_label(struct member *m, char *out, size_t size, long long now)
{
	const struct chatter *c = chatter_of(m);
	long long idle = now - c->last_active;
	char t[32];
	int n;
	idle_text(t, sizeof t, idle);
	if (c->away && idle >= AWAY_IDLE_SHOWN_MS)
		n = snprintf(out, size, "%s (away: %s; idle %s)", m->name,
			     c->away, t);
	else if (c->away)
		n = snprintf(out, size, "%s (away: %s)", m->name, c->away);
	else if (idle >= AWAY_IDLE_SHOWN_MS)
		n = snprintf(out, size, "%s (idle %s)", m->name, t);
	else
		n = snprintf(out, size, "%s", m->name);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

void away_tell(struct chat *ch, struct chatter *c, const struct chatter *to)
{
	away_tell_name(ch, c, to->m.name, to->away);
}

void away_tell_name(struct chat *ch, struct chatter *c, const char *name,
		    const char *away)
{
	char msg[NAME_LEN_MAX + AWAY_TEXT_MAX + 32];
	snprintf(msg, sizeof msg, "%s is away: %s", name, away);
	reply_only(ch, c, FRAME_INFO, msg);
}

void away_free(struct chatter *c)
{
	free(c->away);
	c->away = NULL;
}
