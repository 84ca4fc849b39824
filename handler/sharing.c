/* sharing.c — file sharing's commands and notices (sharing.h). */
#include "sharing.h"
#include "io.h"
#include "xferproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char sharing_help[] =
	"*** Files (natter(1)):\r\n"
	"***   /send NAME FILE     offer FILE to NAME\r\n"
	"***   /accept ID          fetch a file offered to you\r\n"
	"***   /decline ID         say no to it\r\n"
	"***   /cancel ID          take back your offer, or stop sending\r\n"
	"***   /transfers          files on offer and under way\r\n";

static const char need_client[] = "Files need the natter client "
				  "(natter(1)); telnet cannot send or take "
				  "them.";

static int is(const char *cmd, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cmd, name, len) == 0;
}

/* An event line for the client (never shown to a person). */
static void event(struct chat *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void event(struct chat *c, const char *fmt, ...)
{
	char line[64 + XFER_TOKEN_LEN + FNAME_MAX];
	va_list ap;
	if (!c->files || c->p->machine)
		return;
	int n = snprintf(line, sizeof line, "%s", XFER_EVENT_PREFIX);
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof line - (size_t)n - 2)
		return; /* cannot be: names and tokens are bounded */
	memcpy(line + n + m, "\r\n", 2);
	person_say(c->p, line, (size_t)(n + m + 2));
}

/* /offer NAME SIZE FILE (the client's /send, the file's size filled
 * in and its name cleaned). */
static void offer(struct chat *c, const char *arg, size_t alen)
{
	char to[NAME_LEN_MAX + 1], size[LINE_NO_MAX + 1];
	char name[FNAME_MAX + 1];
	size_t w = 0, i;
	while (w < alen && arg[w] != ' ')
		w++;
	const char *sz = arg + w + (w < alen);
	size_t rest = alen - (size_t)(sz - arg), s = 0;
	while (s < rest && sz[s] >= '0' && sz[s] <= '9')
		s++;
	i = s + (s < rest);
	if (!name_valid(arg, w) || s == 0 || s > LINE_NO_MAX ||
	    fname_clean(sz + i, rest - i, name, sizeof name) == 0) {
		person_notice(c->p, "Usage: /send NAME FILE");
		event(c, "refused");
		return;
	}
	snprintf(to, sizeof to, "%.*s", (int)w, arg);
	snprintf(size, sizeof size, "%.*s", (int)s, sz);
	chat_request(c, FRAME_OFFER, 0, to, size, name, strlen(name));
}

/* /accept ID, /decline ID, /cancel ID. */
static void fileop(struct chat *c, const char *verb, const char *arg,
		   size_t alen)
{
	char id[LINE_NO_MAX + 1];
	while (alen > 0 && arg[alen - 1] == ' ')
		alen--;
	size_t digits = 0;
	while (digits < alen && arg[digits] >= '0' && arg[digits] <= '9')
		digits++;
	if (alen == 0 || alen > 9 || digits < alen) {
		char msg[64];
		snprintf(msg, sizeof msg, "Usage: /%s ID", verb);
		person_notice(c->p, msg);
		return;
	}
	snprintf(id, sizeof id, "%.*s", (int)alen, arg);
	chat_request(c, FRAME_FILEOP, 0, verb, id, NULL, 0);
}

int sharing_command(struct chat *c, const char *cmd, size_t clen,
		    const char *arg, size_t alen)
{
	if (is(cmd, clen, "/natter-client")) {
		if (alen == 5 && memcmp(arg, "files", 5) == 0 && !c->files) {
			c->files = 1;
			(void)bconn_send(c->bc, FRAME_FILECAP, 0, NULL, NULL,
					 NULL, 0);
		}
		return 1;
	}
	int ours = is(cmd, clen, "/send") || is(cmd, clen, "/offer") ||
		   is(cmd, clen, "/accept") || is(cmd, clen, "/decline") ||
		   is(cmd, clen, "/cancel") || is(cmd, clen, "/transfers");
	if (!ours)
		return 0;
	if (!c->files || is(cmd, clen, "/send"))
		person_notice(c->p, need_client);
	else if (is(cmd, clen, "/offer"))
		offer(c, arg, alen);
	else if (is(cmd, clen, "/transfers"))
		chat_request(c, FRAME_FILEOP, 0, "list", NULL, NULL, 0);
	else
		fileop(c, is(cmd, clen, "/accept") ? "accept" :
		       is(cmd, clen, "/decline") ? "decline" : "cancel",
		       arg, alen);
	return 1;
}

void sharing_rejoined(struct chat *c)
{
	if (c->files)
		(void)bconn_send(c->bc, FRAME_FILECAP, 0, NULL, NULL, NULL, 0);
}

/* OFFERED a=from b=ID text="SIZE NAME". */
static void offered(struct chat *c, const struct frame *f)
{
	char msg[160 + FNAME_MAX], sz[32];
	uint64_t size;
	const char *sp = memchr(f->text, ' ', f->textlen);
	if (!sp || xfer_parse_u64(f->text, (size_t)(sp - f->text), &size))
		return;
	xfer_size_text(size, sz, sizeof sz);
	snprintf(msg, sizeof msg, "%.*s offers %.*s (%s); /accept %.*s or "
		 "/decline %.*s", (int)f->alen, f->a,
		 (int)(f->textlen - (size_t)(sp + 1 - f->text)), sp + 1, sz,
		 (int)f->blen, f->b, (int)f->blen, f->b);
	person_notice(c->p, msg);
}

int sharing_frame(struct chat *c, const struct frame *f, uint8_t was)
{
	char msg[600];
	if (f->type == FRAME_OFFERED) {
		offered(c, f);
	} else if (f->type == FRAME_FILENOTE) {
		frame_field(msg, sizeof msg, f->text, f->textlen);
		person_notice(c->p, msg);
		event(c, "%s %.*s", f->alen == 8 && !memcmp(f->a, "accepted", 8)
		      ? "accepted" : "gone", (int)f->blen, f->b);
	} else if (was == FRAME_OFFER && f->type == FRAME_OK) {
		snprintf(msg, sizeof msg, "Offered to %.*s as file %.*s; it "
			 "goes when %.*s accepts (/cancel %.*s to take it "
			 "back).", (int)f->alen, f->a, (int)f->blen, f->b,
			 (int)f->alen, f->a, (int)f->blen, f->b);
		person_notice(c->p, msg);
		event(c, "offered %.*s %.*s", (int)f->blen, f->b,
		      (int)f->textlen, f->text);
	} else if (was == FRAME_OFFER && f->type == FRAME_ERR) {
		frame_field(msg, sizeof msg, f->text, f->textlen);
		person_notice(c->p, msg);
		event(c, "refused");
	} else if (was == FRAME_FILEOP && f->type == FRAME_OK) {
		snprintf(msg, sizeof msg, "Accepted file %.*s from %.*s: "
			 "fetching.", (int)f->blen, f->b, (int)f->alen, f->a);
		person_notice(c->p, msg);
		event(c, "get %.*s %.*s", (int)f->blen, f->b, (int)f->textlen,
		      f->text);
	} else {
		return 0;
	}
	return 1;
}
