/* xhost_int.h — between xhost.c (the link, the host's heartbeat, the
 * snapshot), xhost_ops.c (claims, events and private lines sent),
 * xhost_people.c (the people of other hosts, events and private lines
 * received) and xtakeover.c (a name taken back from another host). */
#ifndef NATTER_BROKER_XHOST_INT_H
#define NATTER_BROKER_XHOST_INT_H

#include "xhost.h"
#include "xignore.h"
#include "xhost_wire.h"
#include "natter-protocol.h"
#include "store/store_redis.h"
#include "store/store_stream.h"

#define XHOST_BEAT_MS 2000       /* the host's key refreshed, dead ones
				    looked for, this often */
#define XHOST_TTL_MS 8000        /* a host's key lives this long */
#define XHOST_REMOTE_MAX 3000    /* people of other hosts known */
#define XHOST_HOSTS_MAX 64       /* other hosts known */
#define XHOST_AWAY_SNAP_MAX 512  /* away marks of other hosts' people in
				    a snapshot (the rest known at their next
				    change): with XHOST_REMOTE_MAX people
				    the reply stays within REDIS_VALUES_MAX */
#define XHOST_EVENTS_KEEP 10000  /* MAXLEN ~ of the event stream */
#define XHOST_INBOX_KEEP 10000   /* MAXLEN ~ of a host's inbox */
#define XHOST_PEND_MAX 1024      /* claims and private lines waiting
				    (the link's ring holds 4096) */
#define XHOST_HERE_PENDING (REDIS_PENDING_MAX / 2) /* 'here' events are
				    sent while fewer commands than this wait
				    for replies: more people than the link's
				    ring holds are announced over several runs */
#define XHOST_KEY_MAX (STORE_REDIS_PREFIX_MAX + 8 + XHOST_ID_MAX + 1)
#define XHOST_BAD_LOG_MS 10000
#define XTAKE_RETRY_MS 100       /* a login taking its name back from
				    another host claims it again this often */
#define XTAKE_WAIT_MS 3000       /* for at most this long, then it is
				    refused (natter-session waits 30 s) */
#define XTAKE_STALE_MS (XTAKE_WAIT_MS - 1000) /* a takeover entry older
				    than this (its ID's time, by this host's
				    clock: hosts' clocks must agree within
				    about that) is not acted on: its log-in
				    is about to give up */

/* A person of another host. */
struct xperson {
	char name[NAME_LEN_MAX + 1];
	char room[ROOM_LEN_MAX + 1];   /* "" while not in a room yet */
	int host;                      /* index in xh->hosts */
	char away[AWAY_TEXT_MAX + 1];  /* its away message, or "" */
};

enum xpend_what { XP_CLAIM, XP_PRIV, XP_EVENT, XP_MAIL, XP_TAKE, XP_PUSH,
		  XP_IGET, XP_ISET };

/* A command whose answer names a chatter (NULL once it is gone). */
struct xpend {
	struct xpend *next, *prev;
	struct xhost *xh;
	struct chatter *c;
	enum xpend_what what;
	struct login_go g;               /* XP_CLAIM */
	char to[NAME_LEN_MAX + 1];       /* XP_PRIV: the recipient's name */
	size_t textlen;                  /* XP_PRIV: the text, after this */
	int stale;                       /* XP_IGET: a SET went after it */
	long long wait_until, retry_at;  /* XP_CLAIM taking its name back
					    from another host (xtakeover.c):
					    refused at wait_until; claimed
					    again at retry_at (0: a claim
					    is out) */
};

struct xhost {
	struct chat *ch;
	struct store *st;
	struct store_redis_user user;
	char id[XHOST_ID_MAX + 1];
	const char *prefix;
	char k_events[XHOST_KEY_MAX], k_inbox[XHOST_KEY_MAX],
	    k_host[XHOST_KEY_MAX], k_hosts[XHOST_KEY_MAX],
	    k_people[XHOST_KEY_MAX];
	struct stream_id ev_last, ib_last;
	int ib_known;          /* ib_last is from this process' reading */
	int up;                /* the link works */
	int ready;             /* the snapshot is in: streams read */
	int up_out, beat_out;  /* an UP or a BEAT is waiting for its reply */
	char ev_sha[48];       /* the event script's SHA1 (SCRIPT LOAD), or
				  "": EVAL with its text (~800 bytes) */
	long long beat_at;     /* the next BEAT */
	int told_down;         /* people were told the others are away */
	unsigned long dropped; /* joins, moves, leaves that did not fit the
				  link's queue (REDIS_PENDING_MAX): UP
				  again once it has room, which clears
				  what Redis holds of this host and
				  announces its people anew */
	int closing;
	struct xperson *people;
	size_t npeople;
	char hosts[XHOST_HOSTS_MAX][XHOST_ID_MAX + 1];
	/* taken for dead: its people, when it announces them again, have
	 * come back (a join), not just been re-announced */
	unsigned char host_gone[XHOST_HOSTS_MAX];
	int nhosts;
	struct xpend *pend;
	size_t npend;
	size_t parked;                   /* of them, logins waiting between
					    claims (xtakeover.c): at most this
					    many, so a loop pass with none
					    walks nothing */
	/* after UP, the names still to announce ('here'): sent while the
	 * link has room (XHOST_HERE_PENDING), the rest at the next runs;
	 * one per person here, so bounded by the broker's sessions */
	char (*here)[NAME_LEN_MAX + 1];
	size_t here_n, here_next;
	long long bad_at;
	unsigned long bad_hidden;
	struct xmod *mod;      /* moderation across hosts (xmod.c) */
	/* accounts whose ignore lists changed while Redis was away
	 * (xignore.c), pushed at the next UP */
	char ign_dirty[XIGNORE_DIRTY_MAX][NAME_LEN_MAX + 1];
	size_t ign_ndirty;
};

/* xhost.c */
void xh_bad(struct xhost *xh, const char *why);
/* Builds PREFIX + kind + rest into buf (XHOST_KEY_MAX); its length. */
size_t xh_key(const struct xhost *xh, char *buf, const char *kind,
	      const char *rest);
/* PREFIX KIND name, the name in lower case (any case finds it). */
size_t xh_name_key(const struct xhost *xh, char *buf, const char *kind,
		   const char *name);
/* ch's link to Redis while this host is in (UP answered), else NULL. */
struct redis *xh_link(struct chat *ch);
/* The UP script: this host (again) from a clean slate, and the
 * snapshot of the others. */
void xh_send_up(struct xhost *xh);

/* xhost_ops.c */
/* SCRIPT LOAD of the event script, before UP: the events re-announcing
 * every person here go out as EVALSHA (small). */
void xh_load_scripts(struct xhost *xh);
/* Sends an event about c (its room now, old: moved from); 0 or -1. */
int xh_event(struct xhost *xh, struct chatter *c, const char *kind,
	     const char *room, const char *old);
/* Every person here in a room announced again ('here'), after UP:
 * as many as the link takes now, the others by xh_here_more. */
void xh_here_all(struct xhost *xh);
/* The next of those, while the link has room; 1 while some are left. */
int xh_here_more(struct xhost *xh);
/* Those not announced yet forgotten (the link is lost: UP again). */
void xh_here_drop(struct xhost *xh);
/* A pending command naming c (NULL: none) with extra bytes after it,
 * or NULL (out of memory, or XHOST_PEND_MAX waiting). */
struct xpend *xh_pend_new(struct xhost *xh, struct chatter *c,
			  enum xpend_what what, size_t extra);
void xh_pend_free(struct xhost *xh, struct xpend *p);

/* The claim of p's name (XP_CLAIM) sent: 0, or -1. */
int xh_claim_send(struct xhost *xh, struct xpend *p);

/* xtakeover.c */
struct xtake;
/* p's claim was refused: 1 when p waits for the other host to give the
 * name back (asked now, or already; claimed again by xtake_run), 0
 * when the login is to be refused. */
int xtake_wait(struct xhost *xh, struct xpend *p, long long now);
/* The waiting logins claimed again when due: ms to the next, or -1. */
int xtake_run(struct xhost *xh, long long now);
/* The link is lost: the waiting logins are refused. */
void xtake_drop(struct xhost *xh);
/* c's claim, after waiting, went through: it is told so at entry. */
void xtake_took(struct chatter *c);
/* A takeover entry of another host, made at ms (Unix, Redis' clock):
 * the session of its name here ends (if an account's), and the name
 * is given back; unless the entry is older than XTAKE_STALE_MS. */
void xtake_act(struct chat *ch, const struct xtake *t, uint64_t ms);

/* xhost_people.c */
void xp_clear(struct xhost *xh);
/* One host's people from the snapshot: HGETALL's arrays of its people
 * and of their away messages. */
void xp_load(struct xhost *xh, const char *host, size_t hlen,
	     const struct resp_value *people, const struct resp_value *aways);
void xp_event(struct xhost *xh, const struct xev *ev);
void xp_msg(struct xhost *xh, const struct xmsg *m);
/* The person of another host named name (any case), or NULL. */
struct xperson *xp_find(struct xhost *xh, const char *name, size_t len);
/* To every person here: an INFO line. */
void xp_tell_all(struct xhost *xh, const char *text);

#endif
