/* text.h — what may reach another person's terminal, and how frames
 * from the broker look on screen.  Pure functions, no I/O. */
#ifndef NATTER_TEXT_H
#define NATTER_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* The most text_clean can make of n input bytes (each byte at worst
 * becomes U+FFFD, 3 bytes), plus the NUL. */
#define TEXT_CLEAN_MAX(n) (3 * (n) + 1)

/* Copies in to out as valid UTF-8 without control characters: C0 and
 * DEL are removed (a tab becomes a space), so are C1 (U+0080-U+009F)
 * and the invisible characters of unicode.h (a zero-width joiner stays
 * only between two emoji), and each invalid or overlong sequence,
 * surrogate or code point past U+10FFFF becomes U+FFFD.  out is NUL-terminated; when it
 * is too small the text stops at a character boundary.  Returns the
 * length written (without the NUL). */
size_t text_clean(const char *in, size_t inlen, char *out, size_t outsize);

/* Room for any displayed line, CR LF included. */
#define TEXT_LINE_MAX (TEXT_CLEAN_MAX(FRAME_TEXT_MAX + 2 * FRAME_FIELD_MAX) + 64)

/* Formats a frame from the broker as the line the person sees, CR LF
 * included, into out (TEXT_LINE_MAX bytes).  self is the person's name
 * (or NULL): their own live lines, actions, joins and leaves are not
 * shown; a replayed LINE (FRAME_REPLAY) is, with its time first.  Every field is cleaned again here, whatever the broker sent.
 * Returns the length, or 0 when the frame shows nothing. */
size_t text_display(const struct frame *f, const char *self, char *out,
		    size_t outsize);

/* A LINE frame's sequence number (its text "SEQ TIME_MS KIND TEXT"),
 * 0 when it has none. */
unsigned long long text_line_seq(const struct frame *f);
/* A LINE as the MSG or ACTION it stands for (fields and text past its
 * "SEQ TIME_MS KIND " point into f), for what knows those (machine
 * mode, mentions): 1, or 0 when f is not a well-formed LINE. */
int text_line_as_msg(const struct frame *f, struct frame *out);
/* The time of a replayed line: "HH:MM " today, else "YYYY-MM-DD HH:MM "
 * (local time); ms since the epoch, now in s.  Returns the length. */
size_t text_when(long long ms, long long now_s, char *out, size_t outsize);

/* Formats "*** " + msg + CR LF (msg cleaned); returns the length.  A
 * message too long for out is cut at a character boundary, never inside
 * a UTF-8 sequence; an out under 3 bytes gets nothing (0). */
size_t text_notice(const char *msg, char *out, size_t outsize);

#endif
