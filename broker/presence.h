/* presence.h — who is logged in and which room each one is in.
 *
 * Names and room names are compared by name_same() (lib/namecmp.h),
 * without regard to ASCII case ("Ann" and "ann" are one person; "Lobby"
 * is the lobby): two people whose names differ only in case would be
 * impossible to tell apart in a /msg.  Each keeps the spelling it was
 * first given.
 *
 * A room holds an array of member pointers, and each member remembers
 * its index there, so entering and leaving are O(1) (swap-remove) and a
 * fanout walks exactly the recipients.  Rooms are created on first
 * entry and freed when the last member leaves. */
#ifndef NATTER_BROKER_PRESENCE_H
#define NATTER_BROKER_PRESENCE_H

#include "names.h"

#include <stddef.h>

struct room;

/* Embedded in whatever represents a person (the broker's connection). */
struct member {
	char name[NAME_LEN_MAX + 1];
	struct room *room;    /* NULL until presence_enter */
	size_t room_index;    /* where in room->members */
	struct member *next_name; /* hash chain */
	unsigned hash;
};

struct room {
	char name[ROOM_LEN_MAX + 1];
	struct member **members;
	size_t count, cap;
	struct room *next; /* hash chain */
	unsigned hash;
};

struct presence {
	struct member **names; /* hash table of members by name */
	size_t name_buckets, name_count;
	struct room **rooms;   /* hash table of rooms by name */
	size_t room_buckets, room_count;
};

/* 0, or -1 when memory ran out. */
int presence_init(struct presence *p);
/* Frees the rooms; the members belong to the caller. */
void presence_free(struct presence *p);

struct member *presence_find(const struct presence *p, const char *name,
			     size_t len);
struct room *presence_room(const struct presence *p, const char *name,
			   size_t len);

/* Sets m->name and adds it to the name table.  Returns 0, 1 when the
 * name is taken, or -1 when memory ran out.  The name must be valid. */
int presence_add(struct presence *p, struct member *m, const char *name,
		 size_t len);
/* Takes m out of its room (if any) and out of the name table. */
void presence_remove(struct presence *p, struct member *m);

/* Moves m into the named room (created if new), leaving its old one
 * first.  Returns the room, or NULL when memory ran out (m is then in
 * no room). */
struct room *presence_enter(struct presence *p, struct member *m,
			    const char *room, size_t len);
/* Takes m out of its room; an emptied room is freed. */
void presence_leave(struct presence *p, struct member *m);

/* Calls fn for each room (order unspecified); fn must not enter or
 * leave. */
void presence_each_room(const struct presence *p,
			void (*fn)(const struct room *, void *), void *arg);

#endif
