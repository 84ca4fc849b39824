/* xferproto.h — sharing a file (issue 16): the words natter (the
 * client) and natter-session agree on.  One definition for both sides.
 *
 * In the chat.  A client that can take files says so once logged in
 * (XFER_CLIENT_HELLO); its session then sends it event lines, which
 * the client takes and never shows:
 *
 *   @@natter-file offered ID TOKEN       your /send became offer ID
 *   @@natter-file refused                your /send was refused (why:
 *                                         the "***" line before it)
 *   @@natter-file get ID TOKEN SIZE NAME  your /accept: fetch it
 *   @@natter-file accepted ID             your offer was accepted: send
 *   @@natter-file gone ID                 declined, cancelled, expired,
 *                                         or its other person left
 *
 * The data connection (to natterd's port, like any connection).  The
 * client sends one line in place of a name at "ID: " (no name has a
 * '/' or a space, so no person can type it by chance):
 *
 *   NATTER-FILE/1 PUT TOKEN   (the sender)   or   ... GET TOKEN
 *
 * and skips the banner up to the session's answer, a line of its own:
 *
 *   NATTER-FILE/1 OK SIZE     or   NATTER-FILE/1 ERR reason
 *
 * After OK the sender sends exactly SIZE bytes and shuts its sending
 * side (the seed's half-close); the receiver reads to the end of the
 * stream and answers one line, which reaches the sender:
 *
 *   DONE SIZE CRC             (CRC-32C in 8 hex digits: crc32c.h)
 *   FAIL reason
 *
 * and each client compares and tells its person. */
#ifndef NATTER_XFERPROTO_H
#define NATTER_XFERPROTO_H

#include "fname.h"

#include <stddef.h>
#include <stdint.h>

#define XFER_MAGIC "NATTER-FILE/1"
#define XFER_TOKEN_LEN 32          /* 16 random bytes in hex */
#define XFER_LINE_MAX 256          /* any line of the data connection */
#define XFER_EVENT_PREFIX "@@natter-file "
#define XFER_CLIENT_HELLO "/natter-client files"
/* natterd -S, natter-broker -S: the largest file offered (bytes). */
#define XFER_SIZE_DEFAULT (100ULL * 1024 * 1024)
#define XFER_SIZE_LIMIT 999999999999ULL /* what -S may say: 12 digits */
/* natterd -O, natter-broker -O: the seconds an unanswered offer
 * stays open, and what -O may say. */
#define XFER_OPEN_S_DEFAULT 600
#define XFER_OPEN_S_MIN 1
#define XFER_OPEN_S_MAX 86400
/* After /accept the two data connections must start within this. */
#define XFER_START_S 60
/* A data session waits this long for its other half. */
#define XFER_WAIT_MS 30000
/* The client skips at most this much banner before the answer. */
#define XFER_BANNER_MAX (64 * 1024)

enum xfer_role { XFER_PUT = 1, XFER_GET = 2 };

struct xfer_request {
	enum xfer_role role;
	char token[XFER_TOKEN_LEN + 1];
};

/* 1 when the line (no line end) starts with XFER_MAGIC and a space. */
int xfer_is_request(const char *line, size_t len);
/* "NATTER-FILE/1 PUT|GET TOKEN" (TOKEN lower-case hex).  0 or -1. */
int xfer_parse_request(const char *line, size_t len, struct xfer_request *r);
/* A token: XFER_TOKEN_LEN lower-case hex digits. */
int xfer_token_ok(const char *s, size_t len);
/* A decimal number without sign or leading garbage, at most 19 digits
 * (so it fits).  0, or -1. */
int xfer_parse_u64(const char *s, size_t len, uint64_t *v);
/* "DONE SIZE CRC": 0 with size and crc, or -1. */
int xfer_parse_done(const char *line, size_t len, uint64_t *size,
		    uint32_t *crc);
/* "NATTER-FILE/1 OK SIZE": 1 (size set); "NATTER-FILE/1 ERR why": 0
 * (why, cleaned, into msg); -1 for anything else. */
int xfer_parse_reply(const char *line, size_t len, uint64_t *size,
		     char *msg, size_t msglen);
/* A size for people: "0 bytes", "999 bytes", "1.2 KB", "3.4 MB",
 * "1.0 GB" (powers of 1000). */
void xfer_size_text(uint64_t size, char *out, size_t outlen);

struct xfer_event {
	char verb[16];
	unsigned id;
	char token[XFER_TOKEN_LEN + 1];
	uint64_t size;
	char name[FNAME_MAX + 1];
};
/* An event line (without XFER_EVENT_PREFIX): 0 with e filled, or -1
 * when it is not one of the forms above. */
int xfer_parse_event(const char *line, size_t len, struct xfer_event *e);

#endif
