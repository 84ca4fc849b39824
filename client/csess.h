/* csess.h — one connection to a natter server, shared by the terminal
 * and scripted modes: telnet and text cleaning on the way in, lines on
 * the way out, and watching the login (for unattended login with -u
 * and for the exit status). */
#ifndef NATTER_CSESS_H
#define NATTER_CSESS_H

#include "ctelnet.h"
#include "scrub.h"
#include "outq.h"
#include "names.h"

#include <stddef.h>

/* Lines and answers waiting to be sent.  Input is not read while less
 * than TO_SERVER_HEADROOM is free. */
#define TO_SERVER_MAX (128 * 1024)
#define TO_SERVER_HEADROOM (48 * 1024)
/* Server text after the last line end: a prompt such as "ID: ", or a
 * line still arriving.  Room for the longest line a natter server sends
 * (a 1024-byte message and its sender); text that runs longer without
 * a line end is shown as a line of its own. */
#define CSESS_PARTIAL_MAX 2048
/* The longest password accepted from -p, -P or NATTER_PASSWORD. */
#define CSESS_PASSWORD_MAX 1024

struct cfiles;

struct csess {
	int sock;
	struct cfiles *files; /* NULL, or file sharing (cfiles.h) */
	struct outq to_server;
	struct ctelnet tn;
	struct scrub sc;
	const char *eol; /* "\r\n" for a terminal in raw mode, else "\n" */
	char partial[CSESS_PARTIAL_MAX];
	size_t npartial, nprinted; /* nprinted: already written (scripted) */
	/* Prompts at the start of the partial already noted: they can
	 * come stacked ("ID: PW: ") after a script's lines crossed them. */
	size_t prompts_seen;
	/* Unattended login (-u); password is wiped once sent. */
	const char *auto_name;
	char password[CSESS_PASSWORD_MAX + 1];
	int have_password;
	int interactive;
	char self[NAME_LEN_MAX + 1]; /* the name logged in as, or "" */
	/* What happened, for the exit status. */
	int id_prompts, login_failures, too_many, logged_in;
	int user_ending;  /* /exit sent, ^D, or end of scripted input */
	int shut;         /* half-closed: nothing more can be sent */
	int person_left;  /* /exit or /quit sent, or ^D typed: a choice */
	int fatal;        /* an exit status decided here, or 0 */
	char fatal_msg[160];
};

void csess_init(struct csess *s, int sock, int interactive);
void csess_free(struct csess *s);
/* Takes bytes read from the server: answers telnet, appends complete
 * lines (cleaned, ending in s->eol) to display, keeps the rest as the
 * prompt, and answers ID:/PW: prompts when logging in unattended. */
void csess_input(struct csess *s, const unsigned char *data, size_t len,
		 struct outq *display);
/* Appends the part of the prompt not yet written (scripted mode). */
void csess_print_partial(struct csess *s, struct outq *display);
/* Forgets the prompt (the person answered it on the input line). */
void csess_clear_prompt(struct csess *s);
/* Queues a line (IAC doubled, CRLF added); notes /exit and /quit.
 * Returns 0, or -1 when the queue has no room (nothing queued). */
int csess_send_line(struct csess *s, const char *line, size_t len);
/* Queues a line as csess_send_line does, but never to file sharing:
 * for cfiles.c's own lines. */
int csess_queue_line(struct csess *s, const char *line, size_t len);
/* Queues bytes without a line end (a scripted line too long to hold). */
int csess_send_raw(struct csess *s, const char *data, size_t len);
/* Sends what is queued.  1: all sent, 0: more to send, -1: error.
 * After csess_shut nothing is sent, and nothing fails. */
int csess_flush(struct csess *s);
/* Half-closes the socket once the person or script has no more to say
 * (the server then sees the end, as from telnet).  From then on telnet
 * answers are not queued: the server can no longer read them, and a
 * write would only fail with EPIPE.  0, or -1 with errno. */
int csess_shut(struct csess *s);
/* Decides the session's end: status and the message for the person
 * (the first decision stands). */
void csess_fail(struct csess *s, int status, const char *msg);
/* Reads once from the socket into csess_input (io_read_some): returns
 * the bytes read, 0 when there is nothing now, or -1 when the stream is
 * over, errno EPIPE at end of file, else the read's error. */
long csess_read(struct csess *s, struct outq *display);
/* The exit status for a connection that ended by end of file (err 0)
 * or with error err; stores a message for the person (may be empty). */
int csess_end_status(const struct csess *s, int err, char *msg,
		     size_t msglen);

#endif
