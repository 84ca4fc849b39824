/* files.c — offers of files between people (files.h). */
#include "files.h"
#include "io.h"
#include "log.h"
#include "namecmp.h"
#include "offers.h"
#include "offers_file.h"
#include "reply.h"
#include "statefile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long open_ms = OFFER_OPEN_MS; /* natter-broker -O */
static int save_failed;   /* logged once until a save works again */

void files_set_open_s(long seconds)
{
	open_ms = seconds * 1000LL;
}

int files_init(struct chat *ch, uint64_t max)
{
	ch->offers = malloc(sizeof *ch->offers);
	if (!ch->offers)
		return -1;
	offers_init(ch->offers, open_ms);
	ch->file_max = max;
	return 0;
}

/* The Unix time in ms (the file's times outlive this process; its
 * io_now_ms does not mean anything to the next). */
static long long wall_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0; /* required by POSIX; unreachable */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The offers as they now are into the state directory, before anyone
 * hears of the change (a crash after it loses nothing anyone saw).
 * No fsync: the file is for a crash of the broker; a crash of the
 * machine ends the sessions whose offers these are. */
static void save(struct chat *ch)
{
	if (!ch->state_dir)
		return;
	char *buf = malloc(OFFERS_FILE_MAX);
	long n = buf ? offers_format(ch->offers, buf, OFFERS_FILE_MAX,
				     io_now_ms(), wall_ms()) : -1;
	int rc = n < 0 ? -1 : statefile_write_nosync(ch->state_dir,
						    OFFERS_FILE, buf,
						    (size_t)n);
	int err = n < 0 ? ENOMEM : errno;
	free(buf);
	if (rc != 0 && !save_failed)
		log_msg(LOG_ERR, "cannot keep the offers in %s/%s: %s (a "
			"restart would forget them)", ch->state_dir,
			OFFERS_FILE, strerror(err));
	else if (rc == 0 && save_failed)
		log_msg(LOG_INFO, "offers kept in %s/%s again", ch->state_dir,
			OFFERS_FILE);
	save_failed = rc != 0;
}

void files_restore(struct chat *ch)
{
	if (!ch->offers || !ch->state_dir)
		return;
	char *buf = malloc(STATEFILE_MAX);
	ssize_t n = buf ? statefile_read(ch->state_dir, OFFERS_FILE, buf,
					 STATEFILE_MAX, NULL) : -1;
	if (n < 0)
		log_msg(LOG_ERR, "cannot read %s/%s: %s (its offers are "
			"lost)", ch->state_dir, OFFERS_FILE,
			buf ? strerror(errno) : strerror(ENOMEM));
	size_t bad = n > 0 ? offers_parse(ch->offers, buf, (size_t)n,
					  io_now_ms(), wall_ms()) : 0;
	free(buf);
	if (bad)
		log_msg(LOG_WARNING, "%s/%s: %zu lines skipped (not valid)",
			ch->state_dir, OFFERS_FILE, bad);
	if (ch->offers->live)
		log_msg(LOG_INFO, "offers of files taken back from %s/%s: "
			"%zu", ch->state_dir, OFFERS_FILE, ch->offers->live);
}

void files_free(struct chat *ch)
{
	free(ch->offers);
	ch->offers = NULL;
}

static struct chatter *online(struct chat *ch, const char *name)
{
	struct member *m = presence_find(&ch->pres, name, strlen(name));
	return m ? chatter_of(m) : NULL;
}

/* FILENOTE to name, if online: event, the offer's id, and a line. */
static void note(struct chat *ch, const char *name, const char *event,
		 unsigned id, const char *fmt, ...)
{
	struct chatter *to = online(ch, name);
	char text[512], idtext[16];
	va_list ap;
	if (!to)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	snprintf(idtext, sizeof idtext, "%u", id);
	int n = frame_encode_str(ch->frame, FRAME_FILENOTE, 0, event, idtext,
				 text);
	if (n > 0)
		peer_queue(&to->peer, ch->frame, (size_t)n);
}

/* The whole reply, ERR or INFO, in one frame. */
static void answer(struct chat *ch, struct chatter *c, int type,
		   const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	reply_only(ch, c, type, text);
}
#define err(ch, c, ...) answer(ch, c, FRAME_ERR, __VA_ARGS__)
#define info(ch, c, ...) answer(ch, c, FRAME_INFO, __VA_ARGS__)

/* The recipient runs telnet: both are told files need the client. */
static void no_client(struct chat *ch, struct chatter *c,
		      struct chatter *tc, const char *name,
		      const char *size)
{
	char text[512];
	snprintf(text, sizeof text, "%s tried to send you %s (%s); files "
		 "need the natter client.", c->m.name, name, size);
	reply_send(ch, tc, FRAME_INFO, 0, NULL, NULL, text, strlen(text));
	err(ch, c, "%s is not using the natter client; files need it on "
	    "both sides.", tc->m.name);
}

static void offered(struct chat *ch, struct chatter *c, struct chatter *tc,
		    const struct offer *o)
{
	char id[16], text[LINE_NO_MAX + 2 + FNAME_MAX];
	snprintf(id, sizeof id, "%u", o->id);
	reply_send(ch, c, FRAME_OK, FRAME_LAST, tc->m.name, id, o->token,
		   strlen(o->token));
	snprintf(text, sizeof text, "%llu %s", (unsigned long long)o->size,
		 o->name);
	int n = frame_encode_str(ch->frame, FRAME_OFFERED, 0, c->m.name, id,
				 text);
	if (n > 0)
		peer_queue(&tc->peer, ch->frame, (size_t)n);
	log_msg(LOG_INFO, "file %u offered: %s (%llu bytes) from %s to %s",
		o->id, o->name, (unsigned long long)o->size, c->m.name,
		tc->m.name);
}

static void offer(struct chat *ch, struct chatter *c, const struct frame *f)
{
	char name[FNAME_MAX + 1], to[NAME_LEN_MAX + 1], sz[32], max[32];
	uint64_t size;
	struct offer *o;
	if (!fname_is_clean(f->text, f->textlen) ||
	    xfer_parse_u64(f->b, f->blen, &size) != 0 ||
	    !name_valid(f->a, f->alen)) {
		err(ch, c, "That file cannot be offered (its name or size).");
		return;
	}
	frame_field(name, sizeof name, f->text, f->textlen);
	frame_field(to, sizeof to, f->a, f->alen);
	xfer_size_text(size, sz, sizeof sz);
	struct chatter *tc = online(ch, to);
	if (!c->files)
		err(ch, c, "Files need the natter client.");
	else if (!tc)
		err(ch, c, "No such user: %s", to);
	else if (tc == c)
		err(ch, c, "You cannot send a file to yourself.");
	else if (size > ch->file_max) {
		xfer_size_text(ch->file_max, max, sizeof max);
		err(ch, c, "%s is %s, over this server's limit of %s.", name,
		    sz, max);
	} else if (!tc->files)
		no_client(ch, c, tc, name, sz);
	else {
		switch (offers_add(ch->offers, c->m.name, tc->m.name, name,
				   size, io_now_ms(), &o)) {
		case OFFERS_ADDED:
			save(ch);
			offered(ch, c, tc, o);
			break;
		case OFFERS_PERSON_FULL:
			err(ch, c, "You have %d files on offer already; "
			    "/cancel one first.", OFFERS_PER_PERSON);
			break;
		case OFFERS_FULL:
			err(ch, c, "Too many files are on offer here; try "
			    "again later.");
			break;
		case OFFERS_NO_TOKEN:
			err(ch, c, "The server cannot make a token now.");
			break;
		}
	}
}

static int is(const char *a, const char *b)
{
	return name_same(a, strlen(a), b, strlen(b));
}

/* One INFO line per offer c is part of. */
static void list(struct chat *ch, struct chatter *c)
{
	struct offer *o = offers_of(ch->offers, c->m.name, NULL), *next;
	char text[512], sz[32];
	if (!o) {
		reply_only(ch, c, FRAME_INFO, "No files on offer to or from "
			   "you.");
		return;
	}
	for (; o; o = next) {
		next = offers_of(ch->offers, c->m.name, o);
		xfer_size_text(o->size, sz, sizeof sz);
		int mine = is(o->from, c->m.name);
		snprintf(text, sizeof text, "%u: %s (%s) %s %s, %s", o->id,
			 o->name, sz, mine ? "to" : "from",
			 mine ? o->to : o->from,
			 o->state == OFFER_ACCEPTED ? "starting" :
			 mine ? "waiting for an answer" :
			 "/accept or /decline it");
		reply_send(ch, c, FRAME_INFO, next ? 0 : FRAME_LAST, NULL,
			   NULL, text, strlen(text));
	}
}

static void accept_it(struct chat *ch, struct chatter *c, struct offer *o)
{
	char id[16], text[3 * 32 + FNAME_MAX];
	o->state = OFFER_ACCEPTED;
	o->expires = io_now_ms() + XFER_START_S * 1000LL;
	save(ch);
	snprintf(id, sizeof id, "%u", o->id);
	snprintf(text, sizeof text, "%s %llu %s", o->gtoken,
		 (unsigned long long)o->size, o->name);
	reply_send(ch, c, FRAME_OK, FRAME_LAST, o->from, id, text,
		   strlen(text));
	note(ch, o->from, "accepted", o->id, "%s accepted %s (%u); sending.",
	     o->to, o->name, o->id);
}

static void fileop(struct chat *ch, struct chatter *c, const struct frame *f)
{
	uint64_t id = 0;
	struct offer *o = NULL;
	if (f->alen == 4 && memcmp(f->a, "list", 4) == 0) {
		list(ch, c);
		return;
	}
	if (xfer_parse_u64(f->b, f->blen, &id) == 0 && id <= 999999999)
		o = offers_by_id(ch->offers, (unsigned)id);
	int to_me = o && is(o->to, c->m.name) && o->state == OFFER_OPEN;
	int mine = o && is(o->from, c->m.name);
	if (f->alen == 6 && memcmp(f->a, "accept", 6) == 0 && to_me &&
	    !online(ch, o->from)) { /* restored, its sender not back yet */
		err(ch, c, "%s is not back yet (the server restarted); "
		    "/accept %u again in a moment.", o->from, o->id);
	} else if (f->alen == 6 && memcmp(f->a, "accept", 6) == 0 && to_me) {
		accept_it(ch, c, o);
	} else if (f->alen == 7 && memcmp(f->a, "decline", 7) == 0 && to_me) {
		note(ch, o->from, "gone", o->id, "%s declined %s (%u).",
		     o->to, o->name, o->id);
		info(ch, c, "You declined %s from %s (%u).", o->name, o->from,
		    o->id);
		offers_remove(ch->offers, o);
		save(ch);
	} else if (f->alen == 6 && memcmp(f->a, "cancel", 6) == 0 && mine) {
		note(ch, o->to, "gone", o->id, "%s cancelled %s (%u).",
		     o->from, o->name, o->id);
		info(ch, c, "You cancelled %s (%u).", o->name, o->id);
		offers_remove(ch->offers, o);
		save(ch);
	} else {
		err(ch, c, "No such offer: %llu", (unsigned long long)id);
	}
}

void files_frame(struct chat *ch, struct chatter *c, const struct frame *f)
{
	if (!ch->offers) { /* FILECAP has no reply */
		if (f->type != FRAME_FILECAP)
			reply_only(ch, c, FRAME_ERR, "Files are not shared "
				   "here.");
		return;
	}
	switch (f->type) {
	case FRAME_FILECAP: c->files = 1; break;
	case FRAME_OFFER: offer(ch, c, f); break;
	case FRAME_FILEOP: fileop(ch, c, f); break;
	default: break;
	}
}

void files_xfer(struct chat *ch, struct chatter *c, const struct frame *f)
{
	enum xfer_role role = f->a[0] == 'p' ? XFER_PUT : XFER_GET;
	struct offer *o = NULL;
	char id[16], text[32 + XFER_TOKEN_LEN + FNAME_MAX];
	if (ch->offers && ((f->alen == 3 && memcmp(f->a, "put", 3) == 0) ||
	    (f->alen == 3 && memcmp(f->a, "get", 3) == 0)))
		o = offers_by_token(ch->offers, role, f->b, f->blen);
	if (!o || (o->claimed & role)) {
		reply_only(ch, c, FRAME_ERR, "No such transfer (an unknown "
			   "or expired token, or one already used).");
		return;
	}
	o->claimed |= role;
	snprintf(id, sizeof id, "%u", o->id);
	/* KEY: where the two data sessions meet (the sender's token,
	 * which both now hold; transfer.h). */
	snprintf(text, sizeof text, "%llu %s %s", (unsigned long long)o->size,
		 o->token, o->name);
	reply_send(ch, c, FRAME_OK, FRAME_LAST, role == XFER_PUT ? "put" :
		   "get", id, text, strlen(text));
	log_msg(LOG_INFO, "file %u: %s's data connection", o->id,
		role == XFER_PUT ? o->from : o->to);
	if (o->claimed == (XFER_PUT | XFER_GET))
		offers_remove(ch->offers, o); /* the sessions' business now */
	save(ch);
}

void files_gone(struct chat *ch, struct chatter *c)
{
	struct offer *o = NULL;
	int changed = 0;
	while (ch->offers && (o = offers_of(ch->offers, c->m.name, NULL))) {
		int mine = is(o->from, c->m.name);
		note(ch, mine ? o->to : o->from, "gone", o->id,
		     "%s left; %s (%u) is off.", c->m.name, o->name, o->id);
		offers_remove(ch->offers, o);
		changed = 1;
	}
	if (changed)
		save(ch);
}

long long files_due(const struct chat *ch)
{
	return ch->offers ? offers_due(ch->offers) : -1;
}

/* A restored offer's time to have its people back came: it goes on
 * if both are, else it ends and the one who is back is told.  1 when
 * it ended. */
static int back_or_gone(struct chat *ch, struct offer *o)
{
	int from = online(ch, o->from) != NULL, to = online(ch, o->to) != NULL;
	o->restored = 0;
	if (from && to)
		return 0;
	note(ch, o->from, "gone", o->id, "%s did not come back after the "
	     "server restarted; %s (%u) is off.", o->to, o->name, o->id);
	note(ch, o->to, "gone", o->id, "%s did not come back after the "
	     "server restarted; %s (%u) is off.", o->from, o->name, o->id);
	offers_remove(ch->offers, o);
	return 1;
}

void files_timers(struct chat *ch, long long now)
{
	struct offer *o;
	int changed = 0;
	while (ch->offers && (o = offers_expired(ch->offers, now))) {
		if (o->restored) {
			changed |= back_or_gone(ch, o);
			continue; /* if it goes on, its own time comes next */
		}
		changed = 1;
		const char *why = o->state == OFFER_OPEN ? "expired unanswered"
			: "did not start in time";
		note(ch, o->from, "gone", o->id, "%s (%u) to %s %s.", o->name,
		     o->id, o->to, why);
		note(ch, o->to, "gone", o->id, "%s (%u) from %s %s.", o->name,
		     o->id, o->from, why);
		offers_remove(ch->offers, o);
	}
	if (changed)
		save(ch);
}
