/* cxfer.h — one file's bytes, in a child process of natter (cfiles.c
 * forks it), so the chat loop never waits for a file: the data
 * connection to the server (lib/xferproto.h), the file, the CRC-32C,
 * and one result line for the parent. */
#ifndef NATTER_CXFER_H
#define NATTER_CXFER_H

#include "xferproto.h"

#include <stddef.h>
#include <stdint.h>

/* Where natter writes a download while it arrives: DIR/.natter-ID-PID
 * .part; renamed (linked) to its final name only once all of it came,
 * so a cut transfer never leaves a file under the final name. */
#define CXFER_PART_FMT ".natter-%u-%ld.part"
#define CXFER_BUF (256 * 1024)
#define CXFER_NICE 10       /* the child's lower priority (nice(2)) */
#define CXFER_ANSWER_MS 60000 /* for the receiver's DONE, the server's OK */

struct cxfer {
	enum xfer_role role;
	unsigned id;
	char token[XFER_TOKEN_LEN + 1];
	char name[FNAME_MAX + 1]; /* clean (fname.h) */
	uint64_t size;
	const char *host, *port;
	int family;
	int file;         /* PUT: the file, open for reading */
	int dir;          /* GET: the download directory, open */
	const char *dirname; /* GET: its name, for the person */
	int life;         /* read end of the parent's life line */
	long rate;        /* PUT: bytes per second at most, 0: no limit */
};

/* Runs the transfer; writes "ok TEXT" or "fail TEXT" (one line, for
 * the person) into result (size bytes). */
void cxfer_run(const struct cxfer *x, char *result, size_t size);

#endif
