/* store_redis_int.h — the Redis backend's state, shared by
 * store_redis.c (open, appends, loading rooms) and store_redis_link.c
 * (the two connections, reconnecting, the stream reader). */
#ifndef NATTER_BROKER_STORE_REDIS_INT_H
#define NATTER_BROKER_STORE_REDIS_INT_H

#include "store_backend.h"
#include "store_redis.h"
#include "store_stream.h"

/* One append on its way: sent (EVAL), then logged and waiting for the
 * reader to reach it, so that it completes in the room's log order. */
struct rop {
	struct rbk *b;
	struct rroom *rr;       /* NULL once completed (or closing) */
	struct rop *next;       /* in rr's list, oldest first */
	uint64_t token;
	uint64_t hno;           /* this store's append number */
	int replied;            /* its reply came: the list owns it */
	struct stream_id id;    /* its entry's, once replied */
	struct stream_id prev;  /* the entry's before it, once replied */
	int load;               /* not an append: the room's XREVRANGE */
	long long since;        /* when it was sent; then when its reply
				   came */
	struct store_entry *e;  /* a copy, seq set once logged */
};

struct rroom {
	struct store_room *r;
	struct rbk *b;
	struct rroom *next;     /* all rooms */
	int loaded;             /* read from Redis: in the XREAD set */
	int load_sent;
	/* wall ms when it was first read empty (Redis away at its load):
	 * what its later load finds from then on is new to the people
	 * here, and goes to them as it would live; 0: never */
	long long empty_since;
	struct stream_id last;  /* the last ID read from its stream */
	uint64_t seen_seq;      /* the highest seq read from it */
	/* the last own entry completed in order: every entry up to it is
	 * shown here in stream order (read, or own and chained) */
	struct stream_id chain;
	/* appends sent, oldest first: those replied are a prefix (one
	 * connection answers in order), in stream order */
	struct rop *ops, *ops_tail;
};

/* A line said while Redis was away (or whose append's reply was lost),
 * to be logged once it is back: store_redis_outbox.c. */
struct obx {
	struct obx *next;
	struct rroom *rr;
	uint64_t hno;
	struct store_entry *e;
};

struct rbk {
	struct store *st;
	const struct store_config *cfg;
	struct redis_addr addr;
	char *password;
	char prefix[STORE_REDIS_PREFIX_MAX + 1];
	char host[STREAM_HOST_MAX + 1]; /* "ID/" of this store */
	size_t host_len;
	uint64_t hno;
	struct redis *w, *rd;   /* writes and loads; XREAD BLOCK */
	int closing;            /* rooms or the core are gone */
	int down;               /* said so (store_backend_failing) */
	int err;                /* errno for appends while down */
	int backoff;
	long long next_try, opened;
	char sha[48];           /* the script's, once SCRIPT LOAD said */
	long long reader_id;    /* CLIENT ID of rd, -1: not known */
	int xread_out, unblock_out, set_stale;
	long long xread_at, xread_pause;
	struct rroom *rooms;
	size_t nloaded;
	/* the XREAD command, sized for rooms_max */
	const char **argv;
	size_t *lens;
	char *argbuf;
	/* a room's load, newest first as Redis sends it */
	const struct resp_value **scr_fields;
	struct stream_id *scr_ids;
	size_t scr_n;
	const struct store_redis_user *user;
	int user_up;               /* told the user the link works */
	int slow;                  /* an append unanswered for
				      STORE_REDIS_SLOW_MS: lines go out at
				      once, kept, until Redis answers */
	/* the outbox: oldest first; those before ob_unsent are sent and
	 * wait for their replies, in order */
	struct obx *ob_head, *ob_tail, *ob_unsent;
	size_t ob_n, ob_bytes;
	unsigned long ob_dropped;  /* not kept: past the bound */
	int bad_logged;
	long long bad_at;
	unsigned long bad_hidden;
};

/* store_redis_link.c */
void rlink_open(struct rbk *b, long long now);
void rlink_lost(struct rbk *b, const char *why);
int rlink_run(struct rbk *b, long long now);
void rlink_room_loaded(struct rbk *b);
void rlink_bad(struct rbk *b, const char *room, const char *why);
/* The key of room's stream ("PREFIXroom:NAME") or counter
 * ("PREFIXseq:NAME") into buf of at least RKEY_MAX bytes; its length. */
#define RKEY_MAX (STORE_REDIS_PREFIX_MAX + 8 + ROOM_LEN_MAX + 1)
size_t rkey(const struct rbk *b, char *buf, const char *kind,
	    const char *room);

/* An errno value for the reason a connection ended. */
int rlink_errno(const char *why);

/* store_redis_outbox.c */
/* Redis answered: a slow link is not any more. */
void rlink_answered(struct rbk *b);
/* Appends unanswered for STORE_REDIS_SLOW_MS: out at once, kept; -1 or
 * the ms until the oldest one would be. */
int rlink_check_slow(struct rbk *b, long long now);
/* Keeps e (a copy) of rr with append number hno for later; 0, or -1
 * past the bound (counted, logged once per episode). */
int outbox_keep(struct rbk *b, struct rroom *rr, const struct store_entry *e,
		uint64_t hno);
/* The append hno was logged after all (its late reply came): not to
 * be sent again (when not sent yet). */
void outbox_forget(struct rbk *b, uint64_t hno);
/* Sends what is kept (link not closed); at reconnect, before any new
 * append. */
void outbox_flush(struct rbk *b);
/* The link was lost: what was sent is sent again after a reconnect. */
void outbox_lost(struct rbk *b);
void outbox_free(struct rbk *b);
struct store_entry *rentry_copy(const struct store_entry *e);

/* store_redis.c */
extern const struct store_ops rbk_ops;
/* Completes op (taken off its room's list) with status; frees it when
 * its reply has come, else the reply's callback will. */
void rop_done(struct rbk *b, struct rop *op, int status);
/* Sends the append script for e to rr (append number hno); fn gets
 * the reply.  0, or -1 at a bound of the link. */
int rbk_eval(struct rbk *b, struct rroom *rr, const struct store_entry *e,
	     uint64_t hno, redis_reply_fn fn, void *ctx);
int rbk_script_load(struct rbk *b, redis_reply_fn fn);
int rroom_send_load(struct rbk *b, struct rroom *rr);
/* Completes rr's appends that are logged (all, or those waiting
 * longer than STORE_REDIS_HOLD_MS when only_old). */
void rroom_release(struct rbk *b, struct rroom *rr, int only_old,
		   long long now);
/* Completes rr's first appends that are in order now: replied, and
 * the entry before each one read or chained (rroom's chain). */
void rroom_chain(struct rbk *b, struct rroom *rr);
/* An entry of rr's stream (from XREAD), in stream order. */
void rroom_entry(struct rbk *b, struct rroom *rr, const struct stream_id *id,
		 const struct resp_value *fields);

#endif
