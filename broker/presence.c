/* presence.c — name table and rooms, both chained hash tables that
 * double when their load passes one. */
#include "presence.h"
#include "namecmp.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS_START 64

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* FNV-1a over the lowercased bytes: names that name_same() calls equal
 * (lib/namecmp.h) must hash alike. */
static unsigned hash_word(const char *s, size_t len)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= lower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

int presence_init(struct presence *p)
{
	memset(p, 0, sizeof *p);
	p->names = calloc(BUCKETS_START, sizeof *p->names);
	p->rooms = calloc(BUCKETS_START, sizeof *p->rooms);
	if (!p->names || !p->rooms) {
		presence_free(p);
		return -1;
	}
	p->name_buckets = p->room_buckets = BUCKETS_START;
	return 0;
}

static void free_room(struct room *r)
{
	free(r->members);
	free(r);
}

void presence_free(struct presence *p)
{
	for (size_t i = 0; p->rooms && i < p->room_buckets; i++) {
		struct room *r = p->rooms[i], *next;
		for (; r; r = next) {
			next = r->next;
			free_room(r);
		}
	}
	free(p->rooms);
	free(p->names);
	memset(p, 0, sizeof *p);
}

struct member *presence_find(const struct presence *p, const char *name,
			     size_t len)
{
	unsigned h = hash_word(name, len);
	struct member *m = p->names[h & (p->name_buckets - 1)];
	for (; m; m = m->next_name)
		if (m->hash == h && name_same(m->name, strlen(m->name),
						  name, len))
			return m;
	return NULL;
}

struct room *presence_room(const struct presence *p, const char *name,
			   size_t len)
{
	unsigned h = hash_word(name, len);
	struct room *r = p->rooms[h & (p->room_buckets - 1)];
	for (; r; r = r->next)
		if (r->hash == h && name_same(r->name, strlen(r->name),
						  name, len))
			return r;
	return NULL;
}

/* Doubles the name table; on failure the old one stays (just slower). */
static void grow_names(struct presence *p)
{
	size_t n = p->name_buckets * 2;
	struct member **t = calloc(n, sizeof *t);
	if (!t)
		return;
	for (size_t i = 0; i < p->name_buckets; i++) {
		struct member *m = p->names[i], *next;
		for (; m; m = next) {
			next = m->next_name;
			m->next_name = t[m->hash & (n - 1)];
			t[m->hash & (n - 1)] = m;
		}
	}
	free(p->names);
	p->names = t;
	p->name_buckets = n;
}

static void grow_rooms(struct presence *p)
{
	size_t n = p->room_buckets * 2;
	struct room **t = calloc(n, sizeof *t);
	if (!t)
		return;
	for (size_t i = 0; i < p->room_buckets; i++) {
		struct room *r = p->rooms[i], *next;
		for (; r; r = next) {
			next = r->next;
			r->next = t[r->hash & (n - 1)];
			t[r->hash & (n - 1)] = r;
		}
	}
	free(p->rooms);
	p->rooms = t;
	p->room_buckets = n;
}

int presence_add(struct presence *p, struct member *m, const char *name,
		 size_t len)
{
	if (len > NAME_LEN_MAX)
		return -1;
	if (presence_find(p, name, len))
		return 1;
	if (p->name_count >= p->name_buckets)
		grow_names(p);
	memcpy(m->name, name, len);
	m->name[len] = '\0';
	m->room = NULL;
	m->hash = hash_word(name, len);
	struct member **slot = &p->names[m->hash & (p->name_buckets - 1)];
	m->next_name = *slot;
	*slot = m;
	p->name_count++;
	return 0;
}

void presence_remove(struct presence *p, struct member *m)
{
	presence_leave(p, m);
	struct member **pp = &p->names[m->hash & (p->name_buckets - 1)];
	for (; *pp; pp = &(*pp)->next_name)
		if (*pp == m) {
			*pp = m->next_name;
			p->name_count--;
			return;
		}
}

static struct room *new_room(struct presence *p, const char *name,
			     size_t len)
{
	if (len > ROOM_LEN_MAX)
		return NULL;
	struct room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (p->room_count >= p->room_buckets)
		grow_rooms(p);
	memcpy(r->name, name, len);
	r->hash = hash_word(name, len);
	struct room **slot = &p->rooms[r->hash & (p->room_buckets - 1)];
	r->next = *slot;
	*slot = r;
	p->room_count++;
	return r;
}

static void unlink_room(struct presence *p, struct room *r)
{
	struct room **pp = &p->rooms[r->hash & (p->room_buckets - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			p->room_count--;
			free_room(r);
			return;
		}
}

void presence_leave(struct presence *p, struct member *m)
{
	struct room *r = m->room;
	if (!r)
		return;
	struct member *last = r->members[--r->count];
	r->members[m->room_index] = last;
	last->room_index = m->room_index;
	m->room = NULL;
	if (r->count == 0)
		unlink_room(p, r);
}

static int room_reserve(struct room *r)
{
	if (r->count < r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 8;
	struct member **a = realloc(r->members, cap * sizeof *a);
	if (!a)
		return -1;
	r->members = a;
	r->cap = cap;
	return 0;
}

struct room *presence_enter(struct presence *p, struct member *m,
			    const char *room, size_t len)
{
	presence_leave(p, m);
	struct room *r = presence_room(p, room, len);
	if (!r && !(r = new_room(p, room, len)))
		return NULL;
	if (room_reserve(r) != 0) {
		if (r->count == 0)
			unlink_room(p, r);
		return NULL;
	}
	m->room = r;
	m->room_index = r->count;
	r->members[r->count++] = m;
	return r;
}

void presence_each_room(const struct presence *p,
			void (*fn)(const struct room *, void *), void *arg)
{
	for (size_t i = 0; i < p->room_buckets; i++)
		for (const struct room *r = p->rooms[i]; r; r = r->next)
			fn(r, arg);
}
