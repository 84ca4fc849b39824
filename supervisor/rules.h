/* rules.h — natterd's address rules (-x FILE), as data: the file's
 * text parsed, and the verdict for a connecting address.  No I/O:
 * rulefile.h reads the file (at start and on SIGHUP) and refuses.
 *
 * The file, written by hand, holds one rule a line:
 *
 *   allow CIDR
 *   deny CIDR
 *
 * CIDR is an IPv4 or IPv6 address with an optional /PREFIX, as /ban
 * takes it (lib/bans.h: an address alone is its /32, an IPv6 one its
 * /64; bits past the prefix are ignored).  Words are separated by
 * spaces or tabs; '#' starts a comment to the end of the line; blank
 * lines and a CR before the LF are allowed.  The first rule that covers
 * an address decides; an address no rule covers is allowed (end the
 * file with "deny 0.0.0.0/0" and "deny ::/0" to allow only what the
 * rules above allow).  An IPv4-mapped IPv6 peer counts as IPv4.
 *
 * Bounds: at most RULES_MAX rules, lines of at most RULE_LINE_MAX
 * bytes (LF not counted); a file of more than RULES_FILE_MAX bytes is
 * refused whole.  Any bad line makes the whole file bad. */
#ifndef NATTERD_RULES_H
#define NATTERD_RULES_H

#include "bans.h"

#include <stddef.h>
#include <sys/socket.h>

#define RULES_MAX 1024
#define RULE_LINE_MAX 256
#define RULES_FILE_MAX (128 * 1024)

struct rule {
	int allow;          /* 1 allow, 0 deny */
	struct ban net;     /* BAN_ADDR: the CIDR (lib/bans.h's matching) */
};

struct rules {
	size_t n;
	struct rule v[RULES_MAX];
};

enum rule_verdict { RULE_NONE, RULE_ALLOW, RULE_DENY };

/* Parses len bytes of text (not NUL-terminated) into r.  0 when every
 * line is good; else the number (from 1) of the first bad line, with
 * *why saying what is wrong in words of its own (never the line's
 * bytes), and r's contents undefined. */
size_t rules_parse(struct rules *r, const char *text, size_t len,
		   const char **why);
/* The first rule covering sa decides; RULE_NONE when none does. */
enum rule_verdict rules_verdict(const struct rules *r,
				const struct sockaddr *sa);

#endif
