/* csess.c — the connection's text, telnet and login, without the
 * terminal: both modes call these. */
#include "csess.h"
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfiles.h"
#include "cmention.h"
#include "io.h"
#include "loginstrings.h"

void csess_init(struct csess *s, int sock, int interactive)
{
	memset(s, 0, sizeof *s);
	s->sock = sock;
	s->interactive = interactive;
	s->eol = interactive ? "\r\n" : "\n";
	outq_init(&s->to_server, TO_SERVER_MAX);
	ctelnet_init(&s->tn);
	scrub_init(&s->sc);
}

/* Overwrites the password so it does not linger in memory. */
static void wipe_password(struct csess *s)
{
	volatile char *p = s->password;
	for (size_t i = 0; i < sizeof s->password; i++)
		p[i] = 0;
	s->have_password = 0;
}

void csess_free(struct csess *s)
{
	wipe_password(s);
	outq_free(&s->to_server);
}

void csess_fail(struct csess *s, int status, const char *msg)
{
	if (s->fatal)
		return;
	s->fatal = status;
	snprintf(s->fatal_msg, sizeof s->fatal_msg, "%s", msg);
}

static void show(struct csess *s, struct outq *display, const void *p,
		 size_t n)
{
	if (outq_append(display, p, n) != 0)
		csess_fail(s, NATTER_EXIT_LOST, "natter: no memory for output");
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* " [ann]" after LOGIN_OK_TEXT: the name, for mentions (cmention.h). */
static void note_name(struct csess *s, const char *p, size_t n)
{
	if (n < 3 || p[0] != ' ' || p[1] != '[' || p[n - 1] != ']' ||
	    !name_valid(p + 2, n - 3))
		return;
	memcpy(s->self, p + 2, n - 3);
	s->self[n - 3] = '\0';
}

/* A complete line arrived: watch for the login's outcome. */
static void note_line(struct csess *s)
{
	const char *l = s->partial;
	size_t n = s->npartial;
	/* A server that does not echo the line end after a hidden answer
	 * leaves its prompt in front of the next line. */
	while (starts_with(l, n, LOGIN_PW_PROMPT) ||
	       starts_with(l, n, LOGIN_ID_PROMPT)) {
		l += LOGIN_PROMPT_LEN;
		n -= LOGIN_PROMPT_LEN;
	}
	if (starts_with(l, n, LOGIN_OK_TEXT)) {
		/* the natter client takes files: the session may offer
		 * them (lib/xferproto.h) */
		if (s->files && !s->logged_in &&
		    csess_queue_line(s, XFER_CLIENT_HELLO,
				     strlen(XFER_CLIENT_HELLO)) != 0)
			csess_fail(s, NATTER_EXIT_LOST, "natter: cannot queue "
				   "a line");
		s->logged_in = 1;
		note_name(s, l + strlen(LOGIN_OK_TEXT), n - strlen(LOGIN_OK_TEXT));
	}
	else if (starts_with(l, n, LOGIN_BAD_TEXT))
		s->login_failures++;
	else if (starts_with(l, n, "*** " LOGIN_TOO_MANY_TEXT))
		s->too_many = 1;
}

/* A line of file sharing's events (lib/xferproto.h): taken by
 * cfiles, never shown.  Only once logged in: a banner is the admin's. */
static int event_line(struct csess *s)
{
	size_t pl = strlen(XFER_EVENT_PREFIX);
	if (!s->files || !s->logged_in || s->nprinted != 0 ||
	    !starts_with(s->partial, s->npartial, XFER_EVENT_PREFIX))
		return 0;
	cfiles_event(s->files, s->partial + pl, s->npartial - pl);
	s->npartial = 0;
	s->prompts_seen = 0;
	return 1;
}

static void end_line(struct csess *s, struct outq *display)
{
	if (event_line(s))
		return;
	note_line(s);
	/* On a terminal: the server's bell (its /bell), and a line that
	 * mentions the person in reverse video, by natter's own codes. */
	int mark = s->interactive && s->nprinted == 0 &&
		   cmention_line(s->partial, s->npartial, s->self);
	if (s->interactive && s->sc.bell)
		show(s, display, "\a", 1);
	s->sc.bell = 0;
	if (mark)
		show(s, display, CMENTION_ON, strlen(CMENTION_ON));
	show(s, display, s->partial + s->nprinted, s->npartial - s->nprinted);
	if (mark)
		show(s, display, CMENTION_OFF, strlen(CMENTION_OFF));
	show(s, display, s->eol, strlen(s->eol));
	s->npartial = s->nprinted = 0;
	s->prompts_seen = 0;
}

void csess_print_partial(struct csess *s, struct outq *display)
{
	size_t pl = strlen(XFER_EVENT_PREFIX);
	/* the start of an event line: not shown before it is whole */
	if (s->files && s->logged_in && s->nprinted == 0 &&
	    memcmp(s->partial, XFER_EVENT_PREFIX,
		   s->npartial < pl ? s->npartial : pl) == 0)
		return;
	show(s, display, s->partial + s->nprinted, s->npartial - s->nprinted);
	s->nprinted = s->npartial;
}

void csess_clear_prompt(struct csess *s)
{
	s->npartial = s->nprinted = 0;
	s->prompts_seen = 0;
}


/* Answers a prompt as a person would, showing the answer after it
 * unless the server does the echo (then nothing is shown: a password). */
static void answer(struct csess *s, struct outq *display, const char *text)
{
	if (csess_send_line(s, text, strlen(text)) != 0) {
		csess_fail(s, NATTER_EXIT_LOST, "natter: cannot queue the login");
		return;
	}
	if (s->tn.remote_echo) {
		/* The server echoes: its line end will close the prompt's
		 * line, as it would for telnet. */
		return;
	}
	show(s, display, s->partial + s->nprinted, s->npartial - s->nprinted);
	show(s, display, text, strlen(text));
	show(s, display, s->eol, strlen(s->eol));
	csess_clear_prompt(s);
}

/* The server asks for the name. */
static void on_id_prompt(struct csess *s, struct outq *display)
{
	s->id_prompts++;
	if (!s->auto_name)
		return;
	if (s->id_prompts > 1) {
		char msg[80];
		snprintf(msg, sizeof msg, "natter: login as %s failed",
			 s->auto_name);
		csess_fail(s, NATTER_EXIT_LOGIN, msg);
		return;
	}
	answer(s, display, s->auto_name);
}

/* The server asks for the password. */
static void on_pw_prompt(struct csess *s, struct outq *display)
{
	if (!s->auto_name)
		return;
	if (s->have_password) {
		answer(s, display, s->password);
		wipe_password(s);
	} else if (!s->interactive) {
		csess_fail(s, NATTER_EXIT_LOGIN, "natter: the server asks for "
			   "a password; give -p FILE, -P FD or NATTER_PASSWORD");
	}
}

/* Notes each prompt the partial line begins with, once.  Prompts come
 * stacked when a script's lines reach the server before its first
 * prompt reaches us: it asks for the password right after the name,
 * with no line end between ("ID: PW: "), as its echo is then off. */
static void check_prompts(struct csess *s, struct outq *display)
{
	while (!s->fatal &&
	       s->npartial >= LOGIN_PROMPT_LEN * (s->prompts_seen + 1)) {
		const char *p = s->partial + LOGIN_PROMPT_LEN * s->prompts_seen;
		int id = memcmp(p, LOGIN_ID_PROMPT, LOGIN_PROMPT_LEN) == 0;
		if (!id && memcmp(p, LOGIN_PW_PROMPT, LOGIN_PROMPT_LEN) != 0)
			return;
		s->prompts_seen++; /* before answering, which may clear it */
		if (id)
			on_id_prompt(s, display);
		else
			on_pw_prompt(s, display);
	}
}

/* Adds cleaned text to the partial line, ending lines as they come. */
static void take_text(struct csess *s, const char *t, size_t n,
		      struct outq *display)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\n') {
			end_line(s, display);
			continue;
		}
		/* Break an overlong line only before a character starts. */
		if (s->npartial + 4 >= CSESS_PARTIAL_MAX && (c & 0xc0) != 0x80)
			end_line(s, display);
		s->partial[s->npartial++] = (char)c;
	}
}

void csess_input(struct csess *s, const unsigned char *data, size_t len,
		 struct outq *display)
{
	unsigned char text[CLIENT_READ_CHUNK], reply[CLIENT_READ_CHUNK + 2];
	char clean[SCRUB_GROWTH * (CLIENT_READ_CHUNK + 3)];
	while (len > 0) {
		size_t n = len < CLIENT_READ_CHUNK ? len : CLIENT_READ_CHUNK;
		size_t ntext, nreply;
		ctelnet_feed(&s->tn, data, n, text, &ntext, reply, &nreply);
		/* An answer that finds no room is dropped: the server
		 * can only take our silence as a refusal.  After the
		 * half-close the server reads no more: silence too. */
		if (nreply > 0 && !s->shut)
			(void)outq_append(&s->to_server, reply, nreply);
		size_t nclean = scrub_feed(&s->sc, text, ntext, clean);
		take_text(s, clean, nclean, display);
		data += n;
		len -= n;
	}
	check_prompts(s, display);
}

static int queue_escaped(struct csess *s, const char *data, size_t len,
			 int line_end)
{
	/* Doubling IAC at most doubles the size: check that first, so a
	 * line is queued whole or not at all. */
	if (outq_pending(&s->to_server) + 2 * len + 2 > s->to_server.max)
		return -1;
	unsigned char buf[512];
	while (len > 0) {
		size_t n = len < sizeof buf / 2 ? len : sizeof buf / 2;
		size_t m = ctelnet_escape((const unsigned char *)data, n, buf);
		if (outq_append(&s->to_server, buf, m) != 0)
			return -1;
		data += n;
		len -= n;
	}
	if (line_end && outq_append(&s->to_server, "\r\n", 2) != 0)
		return -1;
	return 0;
}

int csess_queue_line(struct csess *s, const char *line, size_t len)
{
	return queue_escaped(s, line, len, 1);
}

int csess_send_line(struct csess *s, const char *line, size_t len)
{
	if (s->files && s->logged_in && cfiles_line(s->files, s, line, len))
		return 0;
	if (queue_escaped(s, line, len, 1) != 0)
		return -1;
	if ((len == 5 && !memcmp(line, "/exit", 5)) ||
	    (len == 5 && !memcmp(line, "/quit", 5)))
		s->user_ending = s->person_left = 1;
	return 0;
}

int csess_send_raw(struct csess *s, const char *data, size_t len)
{
	return queue_escaped(s, data, len, 0);
}

int csess_flush(struct csess *s)
{
	if (s->shut) {
		outq_free(&s->to_server); /* can never be sent: dropped */
		return 1;
	}
	return outq_flush(&s->to_server, s->sock, 1);
}

int csess_shut(struct csess *s)
{
	if (s->shut)
		return 0;
	s->shut = 1;
	s->user_ending = 1;
	outq_free(&s->to_server); /* callers shut once all was sent */
	if (shutdown(s->sock, SHUT_WR) != 0 && errno != ENOTCONN)
		return -1;
	return 0;
}

long csess_read(struct csess *s, struct outq *display)
{
	unsigned char buf[CLIENT_READ_CHUNK];
	ssize_t n = io_read_some(s->sock, buf, sizeof buf);
	if (n > 0)
		csess_input(s, buf, (size_t)n, display);
	return (long)n;
}

int csess_end_status(const struct csess *s, int err, char *msg,
		     size_t msglen)
{
	msg[0] = '\0';
	if (s->fatal) {
		snprintf(msg, msglen, "%s", s->fatal_msg);
		return s->fatal;
	}
	if (!s->logged_in && (s->login_failures > 0 || s->too_many)) {
		snprintf(msg, msglen, "natter: login failed");
		return NATTER_EXIT_LOGIN;
	}
	if (err != 0 && !s->user_ending) {
		snprintf(msg, msglen, "natter: connection lost: %s",
			 strerror(err));
		return NATTER_EXIT_LOST;
	}
	/* Leaving at ID: is a choice, not a failed login; a script whose
	 * input ran out before its login was through did not log in. */
	if (s->person_left)
		return NATTER_EXIT_OK;
	if (!s->logged_in && s->id_prompts > 0) {
		snprintf(msg, msglen, "natter: connection closed during login");
		return NATTER_EXIT_LOGIN;
	}
	if (s->user_ending)
		return NATTER_EXIT_OK;
	snprintf(msg, msglen, "natter: connection closed by the server");
	return s->logged_in ? NATTER_EXIT_OK : NATTER_EXIT_LOST;
}
