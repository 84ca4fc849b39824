/* store.c — the room log's core: requests, the completion queue, the
 * per-room cache and dedupe index, the state-change log lines.  The
 * contract is in store.h; the backend's side in store_backend.h. */
#include "store_backend.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct store_origin {
	char id[STORE_ORIGIN_MAX];
	size_t len;
	uint64_t no;
	uint64_t used;          /* the room's origin_clock when last seen */
};

/* A request waiting for store_run: an append's outcome or a read. */
struct store_req {
	struct store_req *next;
	enum store_op op;
	uint64_t token;
	int status;
	char room[ROOM_LEN_MAX + 1];
	struct store_room *r;           /* NULL: no such room */
	struct store_entry *e;          /* append: owned copy */
	uint64_t after;
	size_t max;
	int last;                       /* read: the last max, not after */
	uint64_t mark;                  /* read: its room's appends_asked */
};

struct store {
	struct store_config cfg;
	const struct store_ops *ops;
	void *b;
	struct store_room **hash;
	size_t hash_size, nrooms;
	struct store_req *head, *tail;
	size_t queued;
	/* reads held back until the appends of their room asked before
	 * them have outcomes (a shared backend holds an append until its
	 * reader reaches it): then queued after those outcomes, so a read
	 * shows every line asked for before it */
	struct store_req *held;
	size_t nheld;
	int failing;                    /* appends fail: logged once */
	const struct store_entry **scratch; /* a read's answer */
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t hash_name(const char *s)
{
	size_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct store *store_core_new(const struct store_config *cfg)
{
	struct store *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->cfg = *cfg;
	if (!st->cfg.keep)
		st->cfg.keep = STORE_KEEP_DEFAULT;
	if (!st->cfg.cache)
		st->cfg.cache = STORE_CACHE_DEFAULT;
	if (st->cfg.cache > st->cfg.keep)
		st->cfg.cache = st->cfg.keep;
	if (!st->cfg.rooms_max)
		st->cfg.rooms_max = STORE_ROOMS_DEFAULT;
	st->hash_size = 16;
	while (st->hash_size < 2 * st->cfg.rooms_max)
		st->hash_size *= 2;
	st->hash = calloc(st->hash_size, sizeof *st->hash);
	st->scratch = calloc(st->cfg.cache, sizeof *st->scratch);
	if (!st->hash || !st->scratch) {
		store_core_free(st);
		return NULL;
	}
	return st;
}

void store_backend_set(struct store *st, const struct store_ops *ops,
		       void *b)
{
	st->ops = ops;
	st->b = b;
}

void *store_backend_of(struct store *st, const struct store_ops *ops)
{
	return st && st->ops == ops ? st->b : NULL;
}

const struct store_config *store_backend_config(struct store *st)
{
	return &st->cfg;
}

void store_backend_log(struct store *st, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (st->cfg.log)
		st->cfg.log(st->cfg.ctx, level, line);
	else
		log_msg(level, "%s", line);
}

static void room_free(struct store *st, struct store_room *r)
{
	if (st->ops && st->ops->room_free)
		st->ops->room_free(st->b, r);
	for (size_t i = 0; r->ring && i < st->cfg.cache; i++)
		free(r->ring[i]);
	free(r->ring);
	free(r->origins);
	free(r);
}

static void queue_free(struct store *st)
{
	while (st->head) {
		struct store_req *q = st->head;
		st->head = q->next;
		free(q->e);
		free(q);
	}
	st->tail = NULL;
	st->queued = 0;
	while (st->held) {
		struct store_req *q = st->held;
		st->held = q->next;
		free(q);
	}
	st->nheld = 0;
}

void store_core_free(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->hash && i < st->hash_size; i++) {
		while (st->hash[i]) {
			struct store_room *r = st->hash[i];
			st->hash[i] = r->next_hash;
			room_free(st, r);
		}
	}
	queue_free(st);
	free(st->hash);
	free(st->scratch);
	free(st);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	const struct store_ops *ops = st->ops;
	void *b = st->b;
	store_core_free(st); /* each room's room_free first */
	if (ops && ops->close)
		ops->close(b);
}

static int room_name_ok(const char *name)
{
	size_t len = name ? strnlen(name, ROOM_LEN_MAX + 1) : 0;
	return len <= ROOM_LEN_MAX && room_valid(name, len);
}

struct store_room *store_backend_room(struct store *st, const char *name,
				      int create)
{
	if (!room_name_ok(name)) {
		errno = EINVAL;
		return NULL;
	}
	size_t h = hash_name(name) & (st->hash_size - 1);
	for (struct store_room *r = st->hash[h]; r; r = r->next_hash)
		if (strcmp(r->name, name) == 0)
			return r;
	if (!create || st->nrooms >= st->cfg.rooms_max) {
		errno = create ? EMFILE : ENOENT;
		return NULL;
	}
	struct store_room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->ring = calloc(st->cfg.cache, sizeof *r->ring);
	r->origins = calloc(STORE_ORIGINS_MAX, sizeof *r->origins);
	if (!r->ring || !r->origins) {
		free(r->ring);
		free(r->origins);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(r->name, name, strlen(name) + 1);
	r->next_hash = st->hash[h];
	st->hash[h] = r;
	st->nrooms++;
	return r;
}

static int bytes_ok(const char *s, size_t len, size_t max)
{
	return len <= max && (len == 0 || (s && !memchr(s, '\0', len)));
}

static int entry_ok(const struct store_entry *e)
{
	return e->kind >= 1 && e->kind <= STORE_KIND_MAX &&
	       e->name_len >= 1 && bytes_ok(e->name, e->name_len,
					    STORE_NAME_MAX) &&
	       bytes_ok(e->origin, e->origin_len, STORE_ORIGIN_MAX) &&
	       bytes_ok(e->text, e->text_len, STORE_TEXT_MAX);
}

/* One allocation: the struct, then name, origin and text, each with a
 * NUL after it. */
static struct store_entry *entry_dup(const struct store_entry *e,
				     const char *room)
{
	size_t size = sizeof *e + e->name_len + e->origin_len +
		      e->text_len + 3;
	struct store_entry *c = malloc(size);
	if (!c)
		return NULL;
	*c = *e;
	char *p = (char *)(c + 1);
	c->room = room;
	c->name = p;
	memcpy(p, e->name, e->name_len);
	p += e->name_len;
	*p++ = '\0';
	c->origin = p;
	if (e->origin_len)
		memcpy(p, e->origin, e->origin_len);
	p += e->origin_len;
	*p++ = '\0';
	c->text = p;
	if (e->text_len)
		memcpy(p, e->text, e->text_len);
	p[e->text_len] = '\0';
	return c;
}

static struct store_origin *origin_find(struct store_room *r,
					const char *id, size_t len)
{
	for (size_t i = 0; i < r->norigins; i++)
		if (r->origins[i].len == len &&
		    memcmp(r->origins[i].id, id, len) == 0)
			return &r->origins[i];
	return NULL;
}

/* Records that origin has logged (or sent) line no in r: the index
 * keeps the STORE_ORIGINS_MAX origins seen most recently. */
static void origin_note(struct store_room *r, const char *id, size_t len,
			uint64_t no)
{
	if (len == 0 || len > STORE_ORIGIN_MAX || no == 0)
		return;
	struct store_origin *o = origin_find(r, id, len);
	if (!o) {
		if (r->norigins < STORE_ORIGINS_MAX) {
			o = &r->origins[r->norigins++];
		} else {
			o = &r->origins[0];
			for (size_t i = 1; i < r->norigins; i++)
				if (r->origins[i].used < o->used)
					o = &r->origins[i];
		}
		memcpy(o->id, id, len);
		o->len = len;
		o->no = 0;
	}
	if (no > o->no)
		o->no = no;
	o->used = ++r->origin_clock;
}

int store_seen(struct store *st, const char *room, const char *origin,
	       size_t origin_len, uint64_t no)
{
	struct store_room *r = store_backend_room(st, room, 0);
	if (!r || no == 0 || origin_len > STORE_ORIGIN_MAX)
		return 0;
	struct store_origin *o = origin_find(r, origin, origin_len);
	return o && no <= o->no;
}

uint64_t store_last_seq(struct store *st, const char *room)
{
	struct store_room *r = store_backend_room(st, room, 0);
	return r ? r->last_seq : 0;
}

/* Takes ownership of c: into the cache, the oldest pushed out. */
static void cache_put(struct store *st, struct store_room *r,
		      struct store_entry *c)
{
	size_t cap = st->cfg.cache;
	if (r->n == cap) {
		free(r->ring[r->head]);
		r->ring[r->head] = c;
		r->head = (r->head + 1) % cap;
	} else {
		r->ring[(r->head + r->n) % cap] = c;
		r->n++;
	}
	if (c->seq > r->last_seq)
		r->last_seq = c->seq;
}

int store_backend_loaded(struct store *st, struct store_room *r,
			 const struct store_entry *e)
{
	struct store_entry *c = entry_dup(e, r->name);
	if (!c)
		return -1;
	origin_note(r, e->origin, e->origin_len, e->origin_no);
	cache_put(st, r, c);
	return 0;
}

static void req_link(struct store *st, struct store_req *q)
{
	q->next = NULL;
	if (st->tail)
		st->tail->next = q;
	else
		st->head = q;
	st->tail = q;
	st->queued++;
}

static struct store_req *req_alloc(enum store_op op, const char *room,
				   uint64_t token)
{
	struct store_req *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->op = op;
	q->token = token;
	snprintf(q->room, sizeof q->room, "%s", room);
	return q;
}

/* Held reads of r whose appends all have outcomes now: queued. */
static void held_release(struct store *st, struct store_room *r)
{
	struct store_req **pp = &st->held, *q;
	while ((q = *pp) != NULL) {
		if (strcmp(q->room, r->name) == 0 &&
		    q->mark <= r->appends_done) {
			*pp = q->next;
			st->nheld--;
			req_link(st, q);
		} else {
			pp = &q->next;
		}
	}
}

static struct store_req *req_new(struct store *st, enum store_op op,
				 const char *room, uint64_t token)
{
	struct store_req *q = req_alloc(op, room, token);
	if (!q)
		return NULL;
	req_link(st, q);
	return q;
}


void store_backend_done(struct store *st, struct store_room *r,
			uint64_t token, int status,
			const struct store_entry *e)
{
	struct store_req *q = req_new(st, STORE_APPEND, r->name, token);
	r->appends_done++;
	if (q) { /* else out of memory: the caller hears nothing */
		q->r = r;
		q->status = status;
		q->e = entry_dup(e, r->name);
		if (!q->e && !status)
			q->status = ENOMEM;
		if (q->e && q->status)
			q->e->seq = 0;
	}
	if (st->held)
		held_release(st, r);
}

void store_backend_remote(struct store *st, struct store_room *r,
			  const struct store_entry *e)
{
	struct store_req *q = req_new(st, STORE_REMOTE, r->name, 0);
	if (!q)
		return; /* out of memory: this broker misses the line */
	q->r = r;
	q->e = entry_dup(e, r->name);
	origin_note(r, e->origin, e->origin_len, e->origin_no);
}

void store_backend_room_ready(struct store *st, struct store_room *r)
{
	(void)st;
	r->loading = 0;
}

/* The room a request names, made (and its loading begun) when the
 * backend loads rooms on first sight; NULL with errno when none. */
static struct store_room *room_touch(struct store *st, const char *name,
				     int create)
{
	int load = st->ops && st->ops->room_load != NULL;
	struct store_room *r = store_backend_room(st, name, create || load);
	if (r && load && !r->load_asked) {
		r->load_asked = 1;
		r->loading = 1;
		if (st->ops->room_load(st->b, r) != 0)
			r->loading = 0;
	}
	return r;
}

/* An append refused before the backend saw it: its outcome is queued
 * all the same, so the caller hears of each line in one place. */
static int refuse(struct store *st, const char *room,
		  const struct store_entry *e, uint64_t token, int status)
{
	struct store_req *q = req_new(st, STORE_APPEND, room, token);
	if (!q)
		return -1;
	q->status = status;
	q->e = entry_dup(e, q->room);
	if (q->e)
		q->e->seq = 0;
	return 0;
}

int store_append(struct store *st, const char *room,
		 const struct store_entry *e, uint64_t token)
{
	if (!room_name_ok(room) || !e || !entry_ok(e)) {
		errno = EINVAL;
		return -1;
	}
	if (st->queued >= STORE_QUEUE_MAX) {
		errno = EAGAIN;
		return -1;
	}
	struct store_entry c = *e;
	c.seq = 0;
	if (c.time_ms == 0)
		c.time_ms = wall_ms();
	struct store_room *r = room_touch(st, room, 1);
	if (!r)
		return refuse(st, room, &c, token, errno);
	c.room = r->name;
	origin_note(r, c.origin, c.origin_len, c.origin_no);
	r->appends_asked++;
	if (st->ops->append(st->b, r, &c, token) != 0)
		store_backend_done(st, r, token, errno ? errno : EIO, &c);
	return 0;
}

static int read_queue(struct store *st, const char *room, uint64_t after,
		      size_t max, int last, uint64_t token)
{
	if (!room_name_ok(room)) {
		errno = EINVAL;
		return -1;
	}
	if (st->queued + st->nheld >= STORE_QUEUE_MAX) {
		errno = EAGAIN;
		return -1;
	}
	/* none: the read finds it empty */
	struct store_room *r = room_touch(st, room, 0);
	struct store_req *q = req_alloc(STORE_READ, room, token);
	if (!q)
		return -1;
	if (r && r->appends_done < r->appends_asked) {
		struct store_req **pp = &st->held; /* in request order */
		while (*pp)
			pp = &(*pp)->next;
		q->mark = r->appends_asked;
		*pp = q;
		st->nheld++;
	} else {
		req_link(st, q);
	}
	q->after = after;
	q->max = max > st->cfg.cache ? st->cfg.cache : max;
	q->last = last;
	return 0;
}

int store_read_last(struct store *st, const char *room, size_t max,
		    uint64_t token)
{
	return read_queue(st, room, 0, max, 1, token);
}

int store_read_after(struct store *st, const char *room, uint64_t after,
		     size_t max, uint64_t token)
{
	return read_queue(st, room, after, max, 0, token);
}

/* A read, answered from the cache (the room looked up now: it may have
 * been made since the read was asked for). */
static void read_answer(struct store *st, struct store_req *q,
			struct store_result *res)
{
	struct store_room *r = store_backend_room(st, q->room, 0);
	size_t n = r ? r->n : 0, k = 0, cap = st->cfg.cache;
	while (k < n && r->ring[(r->head + n - 1 - k) % cap]->seq > q->after)
		k++;
	size_t m = k < q->max ? k : q->max;
	for (size_t i = 0; i < m; i++)
		st->scratch[i] = r->ring[(r->head + n - m + i) % cap];
	res->entries = st->scratch;
	res->n = m;
	if (q->last)
		return;
	res->missed = k - m;
	/* the cache is full and does not reach back to after */
	if (r && k == n && n == cap && r->ring[r->head]->seq > q->after + 1)
		res->missed += r->ring[r->head]->seq - q->after - 1;
}

/* One line when appends start failing, one when they work again. */
static void note_outcome(struct store *st, int status)
{
	if (status == EMFILE || status == EINVAL || status == ENOMEM)
		return; /* a room too many, not the storage */
	if (status && !st->failing) {
		st->failing = 1;
		store_backend_log(st, LOG_ERR, "history not written (%s): %s",
				  st->ops->name, strerror(status));
	} else if (!status && st->failing) {
		st->failing = 0;
		store_backend_log(st, LOG_NOTICE, "history written again");
	}
}

void store_backend_failing(struct store *st, int status)
{
	note_outcome(st, status);
}

static void deliver(struct store *st, struct store_req *q)
{
	struct store_result res = { .op = q->op, .token = q->token,
				    .status = q->status, .room = q->room };
	if (q->op == STORE_READ) {
		read_answer(st, q, &res);
		st->cfg.done(st->cfg.ctx, &res);
		return;
	}
	if (q->op == STORE_APPEND)
		note_outcome(st, q->status);
	struct store_room *r = store_backend_room(st, q->room, 0);
	if (q->status == 0 && r && q->e) {
		cache_put(st, r, q->e);
		res.entry = q->e;
		q->e = NULL; /* the cache owns it now */
	} else {
		res.entry = q->e;
	}
	if (res.entry) /* NULL only when memory ran out */
		st->cfg.done(st->cfg.ctx, &res);
}

/* 1 when q must wait: its room is being loaded (room_load). */
static int req_waits(struct store *st, const struct store_req *q)
{
	struct store_room *r = q->r ? q->r : store_backend_room(st, q->room,
								 0);
	return r && r->loading;
}

int store_run(struct store *st, long long now)
{
	int t = st->ops->run ? st->ops->run(st->b, now) : -1;
	/* only what was asked before this pass: the callback's own
	 * requests are answered on the next one */
	size_t n = st->queued;
	while (n-- > 0 && st->head) {
		struct store_req *q = st->head;
		if (req_waits(st, q))
			return t; /* the backend's descriptors wake us */
		st->head = q->next;
		if (!st->head)
			st->tail = NULL;
		st->queued--;
		deliver(st, q);
		free(q->e);
		free(q);
	}
	return st->queued ? 0 : t;
}

int store_fds(struct store *st, struct store_fd *out, int max)
{
	return st->ops->fds ? st->ops->fds(st->b, out, max) : 0;
}

void store_ready(struct store *st, int fd, unsigned events)
{
	if (st->ops->ready)
		st->ops->ready(st->b, fd, events);
}

static int fits(int n, size_t size)
{
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

int store_default_dir_of(char *buf, size_t size, unsigned long uid,
			 const char *xdg, const char *home)
{
	if (uid == 0)
		return fits(snprintf(buf, size, "/var/lib/natter"), size);
	if (xdg && xdg[0] == '/')
		return fits(snprintf(buf, size, "%s/natter", xdg), size);
	if (home && home[0] == '/')
		return fits(snprintf(buf, size, "%s/.local/state/natter",
				     home), size);
	return -1;
}

int store_default_dir(char *buf, size_t size)
{
	return store_default_dir_of(buf, size, (unsigned long)getuid(),
				    getenv("XDG_STATE_HOME"), getenv("HOME"));
}
