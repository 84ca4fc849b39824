/* frame.h — encoding and decoding the frames of the handler-broker
 * protocol (lib/natter-protocol.h: the wire format, the types, the
 * version). */
#ifndef NATTER_FRAME_H
#define NATTER_FRAME_H

#include "natter-protocol.h"

#include <stddef.h>
#include <stdint.h>

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

/* 1 when f has its type's exact shape (natter-protocol.h): the fields
 * it must leave empty are, the others are within their type's bounds
 * (and decimal digits where they are numbers), and it carries no flag
 * its type does not know; 0 otherwise. */
int frame_shape_ok(const struct frame *f);

/* Copies a field into a NUL-terminated string of size dstsize. */
void frame_field(char *dst, size_t dstsize, const char *src, size_t len);

#endif
