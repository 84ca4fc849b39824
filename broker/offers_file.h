/* offers_file.h — the offers table as a file in the state directory
 * (issue 16), so that a broker restarted after a crash takes back the
 * offers its predecessor held: same ids, same tokens, same times.
 * Pure: the caller reads and writes the file (files.c).
 *
 * The form, one line each, fields split by one space:
 *   natter-offers 1
 *   next ID
 *   offer ID open|accepted CLAIMED SIZE EXPIRES TOKEN GTOKEN FROM TO NAME
 * CLAIMED is the XFER_PUT | XFER_GET bits seen (0 for an open offer),
 * EXPIRES the Unix time in milliseconds the offer ends at, NAME (last:
 * it may hold spaces) a clean name (fname.h).  A disk may hold
 * anything: every field is checked, and a line that fails is skipped. */
#ifndef NATTER_BROKER_OFFERS_FILE_H
#define NATTER_BROKER_OFFERS_FILE_H

#include "offers.h"

#include <stddef.h>

#define OFFERS_FILE "offers"
/* The longest line (a 9-digit id, "accepted", 12-digit size, 19-digit
 * time, two tokens, two names, a name of FNAME_MAX) and the file. */
#define OFFERS_LINE_MAX (64 + 2 * XFER_TOKEN_LEN + 2 * NAME_LEN_MAX + \
			 FNAME_MAX)
#define OFFERS_FILE_MAX (32 + OFFERS_MAX * OFFERS_LINE_MAX)

/* os's offers in the form above into out (size bytes): the length, or
 * -1 when they do not fit.  now: io_now_ms; wall: the Unix time in
 * ms at the same moment. */
long offers_format(const struct offers *os, char *out, size_t size,
		   long long now, long long wall);
/* Adds the offers of the len bytes at buf to os (empty, offers_init),
 * each restored (offers.h): it ends when it would have, but no later
 * than os->open_ms (open) or XFER_START_S (accepted) from now.
 * Returns the number of lines skipped (not valid, a second offer of an
 * id, no room). */
size_t offers_parse(struct offers *os, const char *buf, size_t len,
		    long long now, long long wall);

#endif
