/* bans.h — bans by name or by address, as data: parsing what an
 * operator typed, matching an address or a name, and the bans file's
 * lines.  No I/O: the broker keeps the list (broker/moderation.h) and
 * writes the file (lib/statefile.h); natterd reads it to refuse an
 * address before anything starts (supervisor/banwatch.h).
 *
 * The file ("bans" in the state directory) holds one ban a line:
 *
 *   ban TAB target TAB until TAB by TAB reason LF
 *
 * target is a name (lib/names.h) or ADDRESS/PREFIX (IPv4 or IPv6, the
 * address already masked to its prefix); until is the Unix time it
 * ends, 0 for never; by is who banned (a name, or "natterctl"); the
 * reason is at most BAN_REASON_MAX bytes of text without control
 * characters.  Any other line (a comment, a bad field, too long) is
 * skipped alone; at most BANS_MAX bans are read. */
#ifndef NATTER_BANS_H
#define NATTER_BANS_H

#include "names.h"

#include <stddef.h>
#include <sys/socket.h>

#define BANS_FILE "bans"        /* its name in the state directory */
#define BANS_MAX 256            /* bans kept; one more is refused */
#define BAN_REASON_MAX 200      /* bytes of a ban's reason */
#define BAN_BY_MAX 16           /* a name, or "natterctl" */
#define BAN_TARGET_TEXT_MAX 64  /* "ffff:...:ffff/128" fits */
#define BAN_LINE_MAX 400        /* one line of the file, its LF too */
#define BAN_DURATION_MAX (366LL * 86400) /* the longest timed ban */

enum ban_kind { BAN_NAME = 1, BAN_ADDR = 2 };

struct ban {
	enum ban_kind kind;
	char name[NAME_LEN_MAX + 1];  /* BAN_NAME */
	int family;                   /* BAN_ADDR: AF_INET or AF_INET6 */
	unsigned char addr[16];       /* masked to prefix */
	unsigned prefix;
	long long until;              /* Unix seconds; 0: until unbanned */
	char by[BAN_BY_MAX + 1];
	char reason[BAN_REASON_MAX + 1];
};

struct banlist {
	struct ban v[BANS_MAX];
	size_t n;
};

/* "5s", "10m", "2h", "7d": 1 to BAN_DURATION_MAX seconds.  0 and the
 * seconds in *secs, or -1 for anything else. */
int ban_duration(const char *s, size_t len, long long *secs);
/* A name, or an address with an optional /PREFIX (an IPv4 address
 * alone is its /32, an IPv6 one its /64), into b's target fields.
 * 0, or -1 when it is neither. */
int ban_target(const char *s, size_t len, struct ban *b);
/* An address with an optional /PREFIX, as ban_target takes it but
 * never a name (natterd's -x rules, supervisor/rules.h).  0, or -1. */
int ban_address(const char *s, size_t len, struct ban *b);
/* Whether b (BAN_ADDR) covers the socket address sa (an IPv4-mapped
 * IPv6 address counts as IPv4), its time aside. */
int ban_covers_sa(const struct ban *b, const struct sockaddr *sa);
/* The target as text ("ann", "192.0.2.0/24") in buf (at least
 * BAN_TARGET_TEXT_MAX bytes). */
void ban_target_text(const struct ban *b, char *buf, size_t size);
/* Whether b and t name the same target. */
int ban_same_target(const struct ban *b, const struct ban *t);
/* Whether b's target is the name or covers the address (text), its
 * time aside. */
int ban_covers(const struct ban *b, const char *name, const char *ip);
/* Whether b is in force at Unix time now. */
int ban_active(const struct ban *b, long long now);

/* The ban in force at now for an address (text, or a socket address;
 * an IPv4-mapped IPv6 address counts as IPv4) or a name, or NULL. */
const struct ban *banlist_find_ip(const struct banlist *l, const char *ip,
				  long long now);
const struct ban *banlist_find_sa(const struct banlist *l,
				  const struct sockaddr *sa, long long now);
const struct ban *banlist_find_name(const struct banlist *l,
				    const char *name, size_t len,
				    long long now);
/* Adds b, replacing a ban of the same target: 0, or -1 when full. */
int banlist_add(struct banlist *l, const struct ban *b);
/* Removes the ban of t's target: 1 when there was one, else 0. */
int banlist_remove(struct banlist *l, const struct ban *t);
/* Drops the bans over at now; returns how many. */
size_t banlist_expire(struct banlist *l, long long now);

/* One line of the file for b in buf (BAN_LINE_MAX bytes): its length,
 * LF included. */
size_t ban_format(const struct ban *b, char *buf, size_t size);
/* One line of the file without its LF (len bytes, not NUL-terminated):
 * 0 and *b, or -1 when it is not a valid ban line. */
int ban_parse(const char *s, size_t len, struct ban *b);
/* Reads the file's text (len bytes, not NUL-terminated) into l,
 * replacing what it held.  Returns how many lines were skipped. */
size_t banlist_parse(struct banlist *l, const char *text, size_t len);

#endif
