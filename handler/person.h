/* person.h — the person at the other end of fds 0 and 1: what they see
 * (a bounded queue to fd 1, with its overflow flag) and what they type
 * (fd 0, through telnet stripping and line assembly).
 *
 * It knows nothing of chat or of the broker and calls nobody above it:
 * the session asks it for lines and checks its flags. */
#ifndef NATTER_PERSON_H
#define NATTER_PERSON_H

#include <stddef.h>

#include "line.h"
#include "machine.h"
#include "outq.h"
#include "telnet.h"

#define PERSON_OUTQ_MAX (256 * 1024) /* to the person; past it: cut off */
#define PERSON_SLACK 1024 /* past the bound, for the last word */
#define PERSON_READ 4096             /* read fd 0 in chunks this big */

enum person_event {
	PERSON_IDLE,     /* the input read so far is used up */
	PERSON_LINE,     /* a line is pending: person_line, person_line_done */
	PERSON_TOO_LONG, /* a line passed LINE_MAX_BYTES (it is dropped) */
	PERSON_INTERRUPT,/* ^C (telnet's IP): the line typed is dropped */
	PERSON_LEAVE,    /* the person said yes to "Leave the chat?" */
};

struct person {
	int in_sock, in_tty, out_sock; /* what fds 0 and 1 are */
	struct outq out;
	/* Either flag set: nothing more is queued or written. */
	int overflow;   /* output passed PERSON_OUTQ_MAX (stopped reading) */
	int out_failed; /* a write to fd 1 failed (the connection closed) */
	struct telnet tn;
	struct line ln;
	int line_pending; /* ln holds a line not yet handled */
	unsigned char in[PERSON_READ];
	size_t inpos, inlen;
	int in_eof;
	int echo_off; /* we turned the person's echo off (a password) */
	int machine;  /* machine mode (machine.h): events, not text */
	struct machine mach;
};

/* Looks at fds 0 and 1; queues nothing yet. */
void person_init(struct person *p);
/* Queues bytes for the person.  0, or -1 when that would pass
 * PERSON_OUTQ_MAX: the overflow flag is then set and nothing more is
 * queued (a session whose person stopped reading is over). */
int person_say(struct person *p, const void *data, size_t len);
/* Text for a person.  In machine mode each whole line of it that is
 * not empty becomes a "notice" event (a leading "*** " dropped), and
 * what has no line end (a prompt) is dropped. */
void person_sayz(struct person *p, const char *str);
/* The person is cut off (too far behind): the queue keeps only the
 * rest of a line already begun, then msg as a notice on its own line
 * (past the bound if need be), and output goes on, for person_finish
 * to flush. */
void person_last_word(struct person *p, const char *msg);
/* "*** " + msg + CR LF (msg: at most 500 bytes are shown); in machine
 * mode a "notice" event. */
void person_notice(struct person *p, const char *msg);
/* An event of the session's own (machine mode only; nothing
 * otherwise): kind, room, name, text (NUL-terminated, or NULL). */
void person_event(struct person *p, const char *kind, const char *room,
		  const char *name, const char *text);
/* Writes what fd 1 takes now.  0, or -1 when fd 1 failed (out_failed
 * is then set: the person is gone). */
int person_flush(struct person *p);
/* Whether input may be read now: nothing buffered, no line pending,
 * no end of file seen. */
int person_wants_input(const struct person *p);
/* Reads fd 0 once (io_read_some).  At end of file (or a read error,
 * logged with who, the person's address) sets in_eof; a last line
 * without a line end still counts. */
void person_read(struct person *p, const char *who);
/* Runs buffered input through telnet (answering it) and line
 * assembly until a line is pending, one is too long, or the input is
 * used up.  Returns PERSON_LINE at once while a line is pending. */
enum person_event person_feed(struct person *p);
/* On a socket (maybe telnet), offers BINARY both ways, so UTF-8 passes
 * byte for byte (telnet.h); nothing on a pipe or terminal. */
void person_telnet_start(struct person *p);
/* The pending line (NUL-terminated, writable, len bytes). */
char *person_line(struct person *p, size_t *len);
void person_line_done(struct person *p);
/* Whether everything the person sent has been read and handled. */
int person_input_over(const struct person *p);
/* Echo off for a password: telnet on a socket, termios on a terminal,
 * nothing on a pipe.  person_echo_on turns it back on and ends the
 * unechoed line. */
void person_echo_off(struct person *p);
void person_echo_on(struct person *p);
/* Writes what is queued (the banner) for at most ms milliseconds,
 * before a data session writes fd 1 itself (transfer.h).  0 when all
 * of it went. */
int person_drain(struct person *p, int ms);
/* At the end: what is still queued, for at most ms milliseconds, then
 * a lingering close; restores the terminal and frees the queue. */
void person_finish(struct person *p, int ms);

#endif
