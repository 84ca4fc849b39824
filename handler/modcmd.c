/* modcmd.c — operators' commands in the session (modcmd.h). */
#include "modcmd.h"
#include "io.h"
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char modcmd_help[] =
	"*** Operators:\r\n"
	"***   /kick NAME [reason]            end NAME's session\r\n"
	"***   /ban NAME|ADDRESS[/PREFIX] [DURATION] [reason]\r\n"
	"***                                  keep them out (30s, 10m, 2h, "
	"7d; none: until /unban)\r\n"
	"***   /unban NAME|ADDRESS[/PREFIX]   lift a ban\r\n"
	"***   /bans                          the bans in force\r\n"
	"***   /mute NAME [DURATION]          nobody sees what NAME says\r\n"
	"***   /unmute NAME                   lift a mute\r\n"
	"***   /topic [text]                  show or set your room's topic "
	"(- clears it)\r\n"
	"***   /wall text                     say text to every room\r\n";

struct verb {
	const char *cmd, *verb, *usage;
	int target;     /* takes a first word: NAME or ADDRESS */
	int needs_text; /* the text after it is required */
};

static const struct verb verbs[] = {
	{ "/kick", "kick", "/kick NAME [reason]", 1, 0 },
	{ "/ban", "ban", "/ban NAME|ADDRESS[/PREFIX] [DURATION] [reason]", 1,
	  0 },
	{ "/unban", "unban", "/unban NAME|ADDRESS[/PREFIX]", 1, 0 },
	{ "/bans", "bans", "/bans", 0, 0 },
	{ "/mute", "mute", "/mute NAME [DURATION]", 1, 0 },
	{ "/unmute", "unmute", "/unmute NAME", 1, 0 },
	{ "/topic", "topic", "/topic [text]", 0, 0 },
	{ "/wall", "wall", "/wall text", 0, 1 },
};

static const struct verb *verb_of(const char *cmd, size_t clen)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].cmd) == clen &&
		    strncasecmp(verbs[i].cmd, cmd, clen) == 0)
			return &verbs[i];
	return NULL;
}

static void notice(struct chat *c, const char *fmt, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof msg, fmt, what);
	person_notice(c->p, msg);
}

/* Sends MOD (b the target, NUL-terminated) and, if this broker marks
 * the ends of replies, waits for its reply as for any request. */
static void send_mod(struct chat *c, const char *verb, const char *target,
		     const char *text, size_t len)
{
	if (bconn_send(c->bc, FRAME_MOD, 0, verb, target, text, len) != 0 ||
	    !bconn_connected(c->bc) || !c->marks_last)
		return;
	chat_await(c, FRAME_MOD, io_now_ms());
}

/* The first word of arg as the target (NUL-terminated in buf), the
 * rest after spaces in *rest.  0, or -1 when there is none or it is
 * too long to be a name or an address. */
static int first_word(const char *arg, size_t alen, char *buf, size_t size,
		      const char **rest, size_t *restlen)
{
	size_t w = 0;
	while (w < alen && arg[w] != ' ')
		w++;
	/* Cleaned, so the frame holds no control byte: the broker then
	 * finds what is not a valid name or address. */
	if (w == 0 || w > FRAME_FIELD_MAX ||
	    text_clean(arg, w, buf, size) > FRAME_FIELD_MAX)
		return -1;
	while (w < alen && arg[w] == ' ')
		w++;
	*rest = arg + w;
	*restlen = alen - w;
	return 0;
}

int modcmd_line(struct chat *c, const char *cmd, size_t clen,
		const char *arg, size_t alen)
{
	static char text[TEXT_CLEAN_MAX(LINE_MAX_BYTES)];
	char target[TEXT_CLEAN_MAX(FRAME_FIELD_MAX)] = "";
	const struct verb *v = verb_of(cmd, clen);
	if (!v)
		return 0;
	while (alen && arg[alen - 1] == ' ')
		alen--;
	if (!c->op && !(alen == 0 && strcmp(v->verb, "topic") == 0)) {
		notice(c, "%s is for operators.", v->cmd);
		return 1;
	}
	if (v->target &&
	    first_word(arg, alen, target, sizeof target, &arg, &alen) != 0) {
		notice(c, "Usage: %s", v->usage);
		return 1;
	}
	if (v->needs_text && alen == 0) {
		notice(c, "Usage: %s", v->usage);
		return 1;
	}
	size_t n = text_clean(arg, alen, text, sizeof text);
	if (n > FRAME_TEXT_MAX)
		n = FRAME_TEXT_MAX; /* the broker says it is too long */
	send_mod(c, v->verb, target[0] ? target : NULL, text, n);
	return 1;
}
