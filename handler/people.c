/* people.c — /away, /back, /ignore, /unignore, /bell (people.h). */
#include "people.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is(const char *cmd, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cmd, name, len) == 0;
}

/* arg without trailing spaces. */
static size_t trimmed(const char *arg, size_t len)
{
	while (len && arg[len - 1] == ' ')
		len--;
	return len;
}

static enum people_result away(struct person *p, const char *arg,
			       size_t alen, struct people_req *req)
{
	char msg[64];
	req->type = FRAME_AWAY;
	req->textlen = text_clean(arg, trimmed(arg, alen), req->text,
				  sizeof req->text);
	if (req->textlen == strspn(req->text, " ")) {
		memcpy(req->text, AWAY_DEFAULT_TEXT, sizeof AWAY_DEFAULT_TEXT);
		req->textlen = strlen(req->text);
	}
	if (req->textlen > AWAY_TEXT_MAX) {
		snprintf(msg, sizeof msg, "An away message is at most %d "
			 "bytes.", AWAY_TEXT_MAX);
		person_notice(p, msg);
		return PEOPLE_DONE;
	}
	return PEOPLE_SEND;
}

/* /ignore NAME, /ignore (the list), /unignore NAME. */
static enum people_result ignore(struct person *p, uint8_t type,
				 const char *arg, size_t alen,
				 struct people_req *req)
{
	size_t n = trimmed(arg, alen);
	req->type = type;
	req->a[0] = '\0';
	if (n == 0 && type == FRAME_IGNORE)
		return PEOPLE_SEND;
	if (n == 0) {
		person_notice(p, "Usage: /unignore NAME");
		return PEOPLE_DONE;
	}
	if (!name_valid(arg, n)) {
		person_notice(p, "Names are 1 to 16 letters, digits, _ or -.");
		return PEOPLE_DONE;
	}
	snprintf(req->a, sizeof req->a, "%.*s", (int)n, arg);
	return PEOPLE_SEND;
}

static enum people_result bell_cmd(struct person *p, enum bell_mode *bell,
				   const char *arg, size_t alen)
{
	char msg[160];
	size_t n = trimmed(arg, alen);
	int mode = n ? bell_parse(arg, n) : (int)*bell;
	if (mode < 0) {
		person_notice(p, "Usage: /bell off|mention|private|all");
		return PEOPLE_DONE;
	}
	*bell = (enum bell_mode)mode;
	snprintf(msg, sizeof msg, "The bell rings: %s (/bell off|mention|"
		 "private|all).", *bell == BELL_OFF ? "never" :
		 *bell == BELL_MENTION ? "when your name is said" :
		 *bell == BELL_PRIVATE ? "when your name is said and for "
		 "private messages" : "for every line");
	person_notice(p, msg);
	return PEOPLE_DONE;
}

enum people_result people_command(struct person *p, enum bell_mode *bell,
				  const char *cmd, size_t clen,
				  const char *arg, size_t alen,
				  struct people_req *req)
{
	if (is(cmd, clen, "/away"))
		return away(p, arg, alen, req);
	if (is(cmd, clen, "/back")) {
		req->type = FRAME_AWAY;
		req->textlen = 0;
		return PEOPLE_SEND;
	}
	if (is(cmd, clen, "/ignore"))
		return ignore(p, FRAME_IGNORE, arg, alen, req);
	if (is(cmd, clen, "/unignore"))
		return ignore(p, FRAME_UNIGNORE, arg, alen, req);
	if (is(cmd, clen, "/bell"))
		return bell_cmd(p, bell, arg, alen);
	return PEOPLE_NOT_MINE;
}
