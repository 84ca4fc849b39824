/* launchproto.h — what natterd and its launchers say to each other on
 * the socketpair between them (launchers.h, launcher.h).
 *
 * natterd -> launcher: one struct launch_req per connection, written
 * with one sendmsg(2) that carries the connection as SCM_RIGHTS (exactly
 * one descriptor).  Fixed size: `len` must equal sizeof (struct
 * launch_req), which LAUNCH_MSG_MAX bounds; the launcher checks type,
 * len, the NUL in both address fields and the descriptor count before
 * it uses anything, and a launcher that reads a bad request exits
 * (natterd restarts it).
 *
 * launcher -> natterd: struct launch_report records of 16 bytes, in
 * the order things happened: STARTED(id, pid) or FAILED(id, errno) for
 * each request, in the order the requests came; ENDED(pid, wait
 * status) for each handler the launcher reaped, never before that
 * handler's STARTED.  natterd reads them into a buffer of whole records
 * and rejects an unknown type (it kills that launcher).
 *
 * Both ends are the same program (a launcher is a fork of natterd), so
 * the records are in the host's byte order and need no version. */
#ifndef NATTERD_LAUNCHPROTO_H
#define NATTERD_LAUNCHPROTO_H

#include <stdint.h>

#include "addr.h"

#define LAUNCH_MSG_MAX 256  /* the hard maximum of a request */

enum launch_req_type { LAUNCH_START = 1 };

struct launch_req {
	uint32_t type;          /* LAUNCH_START */
	uint32_t len;           /* sizeof (struct launch_req) */
	uint32_t id;            /* natterd's name for this start */
	uint16_t remote_port, local_port;
	char remote_ip[ADDR_TEXT_MAX];  /* NUL-terminated */
	char local_ip[ADDR_TEXT_MAX];
};
_Static_assert(sizeof(struct launch_req) <= LAUNCH_MSG_MAX,
	       "a launch request over its bound");

enum launch_report_type {
	LAUNCH_STARTED = 1,  /* id, pid */
	LAUNCH_FAILED,       /* id, value = errno */
	LAUNCH_ENDED,        /* pid, value = wait status */
};

struct launch_report {
	uint32_t type;
	uint32_t id;    /* 0 for ENDED */
	int32_t pid;    /* 0 for FAILED */
	int32_t value;
};
_Static_assert(sizeof(struct launch_report) == 16, "a report is 16 bytes");

#endif
