/* store_rec.h — one record of a room's log file, and the file's scan.
 *
 * A file is the 8-byte magic STORE_MAGIC, then records:
 *
 *   u32 len     bytes of the body that follows the checksum
 *   u32 crc     CRC-32C (Castagnoli) of the body
 *   body:
 *     u8  kind        1..255 an entry; 0 a reservation (below)
 *     u8  name_len    <= STORE_NAME_MAX   (0 for a reservation)
 *     u8  origin_len  <= STORE_ORIGIN_MAX (0 for a reservation)
 *     u8  0           the body's version
 *     u16 text_len    <= STORE_TEXT_MAX   (0 for a reservation)
 *     u16 0
 *     u64 seq         an entry's number; a reservation's ceiling
 *     i64 time_ms
 *     u64 origin_no
 *     name, origin, text (no NUL in any)
 *
 * Integers are little-endian.  len must be exactly 32 + the three
 * lengths, so a record is at most STORE_REC_MAX bytes: a larger length
 * field is corruption, known before anything is read for it.
 *
 * Order: an entry's seq is greater than every earlier entry's; a
 * reservation's ceiling is at least the last entry's seq.  Sequence
 * numbers up to the last reservation's ceiling may have been handed
 * out, so the next one is past both. */
#ifndef NATTER_BROKER_STORE_REC_H
#define NATTER_BROKER_STORE_REC_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_MAGIC "natlog1\n"
#define STORE_MAGIC_LEN 8
#define STORE_REC_HDR 8
#define STORE_REC_FIXED 32
#define STORE_REC_MAX (STORE_REC_HDR + STORE_REC_FIXED + STORE_NAME_MAX + \
		       STORE_ORIGIN_MAX + STORE_TEXT_MAX)

uint32_t store_crc32c(const void *buf, size_t len);

/* Encodes an entry (kind 0 with seq = ceiling: a reservation) into buf
 * of at least STORE_REC_MAX bytes; returns its length. */
size_t store_rec_encode(unsigned char *buf, const struct store_entry *e);
/* Decodes the record at p (avail bytes there): returns its length,
 * 0 when more bytes are needed, -1 when it is not a valid record.
 * e's strings point into p and are not NUL-terminated. */
long store_rec_decode(const unsigned char *p, size_t avail,
		      struct store_entry *e);

/* What a scan of a file found. */
struct store_scan {
	off_t valid_end;        /* where valid data ends: 0 bad magic */
	off_t size;             /* the file's size as read */
	uint64_t last_seq;      /* the last entry's, 0 none */
	uint64_t ceiling;       /* the last reservation's, 0 none */
	size_t records;         /* valid records (entries, reservations) */
};

/* Reads fd from its start, calling on_rec for each valid record in
 * order (e's strings point into a buffer valid for the call), up to the
 * first invalid or short one.  0, or -1 with errno when a read failed
 * or on_rec returned -1. */
int store_scan_fd(int fd, struct store_scan *sc,
		  int (*on_rec)(void *ctx, const struct store_entry *e,
				off_t off),
		  void *ctx);

#endif
