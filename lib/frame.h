/* frame.h — the protocol between natter-session handlers and the broker.
 *
 * A stream over a UNIX-domain socket carries frames:
 *
 *   u16 payload length (big-endian, <= FRAME_PAYLOAD_MAX)
 *   u8  type (enum frame_type)
 *   u8  flags
 *   payload:  u8 alen, alen bytes of field a,
 *             u8 blen, blen bytes of field b,
 *             the rest is the text.
 *
 * Fields a and b are at most FRAME_FIELD_MAX bytes, the text at most
 * FRAME_TEXT_MAX.  None may contain NUL or another control character;
 * the decoder refuses such a frame, and the broker disconnects the
 * handler that sent it (only that one).
 *
 * Handler -> broker                    Broker -> handler
 *   LOGIN  a=name b=room text="ip port"   OK a=name b=room (the broker's
 *          flags FRAME_REJOIN: re-          spellings), then INFO lines
 *          announcing after a broker        greeting (none on a rejoin);
 *          restart                          or ERR text=reason
 *   SAY    text                            MSG     a=from b=room text
 *   ME     text                            ACTION  a=from b=room text
 *   PRIV   a=to text                       PRIVATE a=from text to the
 *                                          recipient; to the sender OK
 *                                          a=to text (its confirmation),
 *                                          or ERR if no such user
 *   JOIN   b=room                          JOINED a=name b=room to the room
 *                                          LEFT a=name b=old text=new room
 *                                          to the old room; INFO lines to
 *                                          the mover, or ERR
 *   WHO                                    INFO lines: who is in your room
 *   ROOMS                                  INFO lines: rooms and counts
 *   (connection closed = logout)           LEFT a=name b=room text=""
 *                                          KICK text=why, then close
 *
 * Replies.  LOGIN, PRIV, JOIN, WHO and ROOMS each get exactly one reply
 * from the broker, sent to the asking handler only, and the last frame
 * of that reply carries the flag FRAME_LAST.  Replies to one handler
 * come in the order of its requests; frames caused by other handlers
 * (MSG, JOINED, ...) may come between the frames of a reply.  SAY and
 * ME get no reply.  This lets natter-session handle its person's lines
 * strictly in order: after a request it takes no further line until the
 * reply's last frame has arrived, so answers appear in the order the
 * person asked, and nothing typed after a request is sent to a broker
 * that may die before answering it.
 *
 * The OK that accepts a LOGIN carries FRAME_MARKS_LAST: "this broker
 * marks the ends of its replies".  A handler waits for FRAME_LAST only
 * from a broker that said so; against an older broker (flags 0, no
 * FRAME_LAST ever) it handles lines as they come.  Older handlers ignore
 * flags and OK frames outside the log-in, so both changes are
 * compatible in both directions; the wire format is unchanged. */
#ifndef NATTER_FRAME_H
#define NATTER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR 4
#define FRAME_FIELD_MAX 64
#define FRAME_TEXT_MAX 4096
#define FRAME_PAYLOAD_MAX (2 + 2 * FRAME_FIELD_MAX + FRAME_TEXT_MAX)
#define FRAME_MAX (FRAME_HDR + FRAME_PAYLOAD_MAX)

enum frame_type {
	/* handler -> broker */
	FRAME_LOGIN = 1,
	FRAME_SAY,
	FRAME_ME,
	FRAME_PRIV,
	FRAME_JOIN,
	FRAME_WHO,
	FRAME_ROOMS,
	/* broker -> handler */
	FRAME_OK = 64,
	FRAME_ERR,
	FRAME_MSG,
	FRAME_ACTION,
	FRAME_PRIVATE,
	FRAME_JOINED,
	FRAME_LEFT,
	FRAME_INFO,
	FRAME_KICK,
};

/* Flags.  Handler -> broker: */
#define FRAME_REJOIN 0x01      /* LOGIN: re-announcing after a restart */
/* Broker -> handler: */
#define FRAME_LAST 0x02        /* the last frame of a reply */
#define FRAME_MARKS_LAST 0x04  /* LOGIN's OK: replies end in FRAME_LAST */

/* A decoded frame points into the buffer it was decoded from; the
 * fields are not NUL-terminated. */
struct frame {
	uint8_t type, flags;
	const char *a, *b, *text;
	size_t alen, blen, textlen;
};

/* Encodes into out (at least FRAME_MAX bytes).  Returns the frame's
 * length, or -1 when a field is too long. */
int frame_encode(char *out, uint8_t type, uint8_t flags,
		 const char *a, size_t alen, const char *b, size_t blen,
		 const char *text, size_t textlen);
/* Same, for NUL-terminated strings (NULL for an empty field). */
int frame_encode_str(char *out, uint8_t type, uint8_t flags,
		     const char *a, const char *b, const char *text);

enum frame_status { FRAME_NEED_MORE = 0, FRAME_BAD = -1 };
/* Decodes one frame from the len bytes at buf.  Returns the number of
 * bytes it took (> 0), FRAME_NEED_MORE when buf holds only part of a
 * frame, or FRAME_BAD when the bytes are not a valid frame. */
int frame_decode(const char *buf, size_t len, struct frame *f);

/* Copies a field into a NUL-terminated string of size dstsize. */
void frame_field(char *dst, size_t dstsize, const char *src, size_t len);

#endif
