/* store_rec.c — encoding, decoding and scanning a room's log file
 * (the format is in store_rec.h). */
#include "store_rec.h"
#include "crc32c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_BUF (64 * 1024) /* >= STORE_REC_MAX: a record always fits */

/* The one CRC-32C (lib/crc32c.h). */
uint32_t store_crc32c(const void *buf, size_t len)
{
	return crc32c(buf, len);
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t store_rec_encode(unsigned char *buf, const struct store_entry *e)
{
	unsigned char *b = buf + STORE_REC_HDR;
	size_t len = STORE_REC_FIXED + e->name_len + e->origin_len +
		     e->text_len;
	b[0] = (unsigned char)e->kind;
	b[1] = (unsigned char)e->name_len;
	b[2] = (unsigned char)e->origin_len;
	b[3] = 0;
	put16(b + 4, (unsigned)e->text_len);
	put16(b + 6, 0);
	put64(b + 8, e->seq);
	put64(b + 16, (uint64_t)e->time_ms);
	put64(b + 24, e->origin_no);
	unsigned char *p = b + STORE_REC_FIXED;
	if (e->name_len)
		memcpy(p, e->name, e->name_len);
	p += e->name_len;
	if (e->origin_len)
		memcpy(p, e->origin, e->origin_len);
	p += e->origin_len;
	if (e->text_len)
		memcpy(p, e->text, e->text_len);
	put32(buf, (uint32_t)len);
	put32(buf + 4, store_crc32c(b, len));
	return STORE_REC_HDR + len;
}

static int clean(const unsigned char *p, size_t len)
{
	return len == 0 || !memchr(p, '\0', len);
}

/* The body's fields, once its length and checksum are known good. */
static int body_decode(const unsigned char *b, size_t len,
		       struct store_entry *e)
{
	memset(e, 0, sizeof *e);
	e->kind = b[0];
	e->name_len = b[1];
	e->origin_len = b[2];
	e->text_len = get16(b + 4);
	e->seq = get64(b + 8);
	e->time_ms = (int64_t)get64(b + 16);
	e->origin_no = get64(b + 24);
	if (b[3] != 0 || get16(b + 6) != 0 || e->seq == 0)
		return -1;
	if (STORE_REC_FIXED + e->name_len + e->origin_len + e->text_len != len)
		return -1;
	if (e->name_len > STORE_NAME_MAX || e->origin_len > STORE_ORIGIN_MAX ||
	    e->text_len > STORE_TEXT_MAX)
		return -1;
	if (e->kind == 0 ? len != STORE_REC_FIXED : e->name_len == 0)
		return -1;
	const unsigned char *p = b + STORE_REC_FIXED;
	e->name = (const char *)p;
	e->origin = (const char *)p + e->name_len;
	e->text = e->origin + e->origin_len;
	if (!clean(p, e->name_len + e->origin_len + e->text_len))
		return -1;
	return 0;
}

long store_rec_decode(const unsigned char *p, size_t avail,
		      struct store_entry *e)
{
	if (avail < STORE_REC_HDR)
		return 0;
	uint32_t len = get32(p);
	if (len < STORE_REC_FIXED || len > STORE_REC_MAX - STORE_REC_HDR)
		return -1;
	if (avail < STORE_REC_HDR + (size_t)len)
		return 0;
	if (store_crc32c(p + STORE_REC_HDR, len) != get32(p + 4))
		return -1;
	if (body_decode(p + STORE_REC_HDR, len, e) != 0)
		return -1;
	return (long)(STORE_REC_HDR + len);
}

/* 1 when e may follow what sc has seen, and notes it. */
static int in_order(struct store_scan *sc, const struct store_entry *e)
{
	if (e->kind == 0) {
		if (e->seq < sc->last_seq)
			return 0;
		sc->ceiling = e->seq;
	} else {
		if (e->seq <= sc->last_seq)
			return 0;
		sc->last_seq = e->seq;
	}
	sc->records++;
	return 1;
}

static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The records after the magic; sc->valid_end is where they stop. */
static int scan_records(int fd, unsigned char *buf, struct store_scan *sc,
			int (*on_rec)(void *, const struct store_entry *,
				      off_t),
			void *ctx)
{
	size_t have = 0;
	off_t base = STORE_MAGIC_LEN;
	for (;;) {
		ssize_t n = read_retry(fd, buf + have, SCAN_BUF - have);
		if (n < 0)
			return -1;
		have += (size_t)n;
		size_t pos = 0;
		for (;;) {
			struct store_entry e;
			long r = store_rec_decode(buf + pos, have - pos, &e);
			sc->valid_end = base + (off_t)pos;
			if (r < 0 || (r > 0 && !in_order(sc, &e)))
				return 0;
			if (r == 0)
				break;
			if (on_rec && on_rec(ctx, &e, base + (off_t)pos) != 0)
				return -1;
			pos += (size_t)r;
		}
		if (n == 0)
			return 0; /* the end, maybe inside a record */
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		base += (off_t)pos;
	}
}

int store_scan_fd(int fd, struct store_scan *sc,
		  int (*on_rec)(void *ctx, const struct store_entry *e,
				off_t off),
		  void *ctx)
{
	struct stat sb;
	unsigned char magic[STORE_MAGIC_LEN];
	memset(sc, 0, sizeof *sc);
	if (fstat(fd, &sb) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	sc->size = sb.st_size;
	size_t got = 0;
	while (got < sizeof magic) {
		ssize_t n = read_retry(fd, magic + got, sizeof magic - got);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0; /* too short for the magic: valid_end 0 */
		got += (size_t)n;
	}
	if (memcmp(magic, STORE_MAGIC, STORE_MAGIC_LEN) != 0)
		return 0;
	unsigned char *buf = malloc(SCAN_BUF);
	if (!buf)
		return -1;
	int rc = scan_records(fd, buf, sc, on_rec, ctx);
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}
