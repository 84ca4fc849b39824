/* test_broker_presence.c — the broker's name table and rooms. */
#include "../../broker/presence.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define N 3000

static struct member people[N];

static int add(struct presence *p, struct member *m, const char *name)
{
	return presence_add(p, m, name, strlen(name));
}

static struct room *enter(struct presence *p, struct member *m,
			  const char *room)
{
	return presence_enter(p, m, room, strlen(room));
}

/* Every member of r points back at its own slot. */
static int consistent(const struct room *r)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->members[i]->room != r || r->members[i]->room_index != i)
			return 0;
	return 1;
}

static void names(void)
{
	struct presence p;
	CHECK(presence_init(&p) == 0);
	CHECK(add(&p, &people[0], "Ann") == 0);
	CHECK(add(&p, &people[1], "ann") == 1);   /* case-insensitive */
	CHECK(add(&p, &people[1], "ANN") == 1);
	CHECK(add(&p, &people[1], "bob") == 0);
	CHECK(presence_find(&p, "aNn", 3) == &people[0]);
	CHECK(strcmp(people[0].name, "Ann") == 0); /* spelling kept */
	CHECK(presence_find(&p, "an", 2) == NULL);
	CHECK(presence_find(&p, "annx", 4) == NULL);
	presence_remove(&p, &people[0]);
	CHECK(presence_find(&p, "ann", 3) == NULL);
	CHECK(add(&p, &people[2], "ann") == 0);
	CHECK(p.name_count == 2);
	presence_free(&p);
}

static void many_names(void)
{
	struct presence p;
	char name[17];
	int ok = 1;
	CHECK(presence_init(&p) == 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		ok &= add(&p, &people[i], name) == 0;
	}
	CHECK(ok);
	CHECK(p.name_buckets >= N); /* the table grew */
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "N%d", i);
		ok &= presence_find(&p, name, strlen(name)) == &people[i];
	}
	CHECK(ok);
	for (int i = 0; i < N; i += 2)
		presence_remove(&p, &people[i]);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		struct member *m = presence_find(&p, name, strlen(name));
		ok &= (i % 2) ? m == &people[i] : m == NULL;
	}
	CHECK(ok);
	CHECK(p.name_count == N / 2);
	presence_free(&p);
}

static void rooms(void)
{
	struct presence p;
	CHECK(presence_init(&p) == 0);
	for (int i = 0; i < 5; i++) {
		char name[17];
		snprintf(name, sizeof name, "p%d", i);
		add(&p, &people[i], name);
	}
	struct room *lobby = enter(&p, &people[0], "Lobby");
	CHECK(lobby && strcmp(lobby->name, "Lobby") == 0);
	CHECK(enter(&p, &people[1], "lobby") == lobby); /* one room */
	CHECK(enter(&p, &people[2], "LOBBY") == lobby);
	CHECK(enter(&p, &people[3], "x") != lobby);
	CHECK(lobby->count == 3 && consistent(lobby));
	CHECK(p.room_count == 2);
	/* Leaving from the middle swaps the last one in. */
	presence_leave(&p, &people[0]);
	CHECK(lobby->count == 2 && consistent(lobby));
	CHECK(people[0].room == NULL);
	/* Moving leaves the old room; the emptied room goes away. */
	CHECK(enter(&p, &people[3], "lobby") == lobby);
	CHECK(presence_room(&p, "x", 1) == NULL);
	CHECK(p.room_count == 1);
	CHECK(lobby->count == 3 && consistent(lobby));
	/* Removing a person takes it out of its room too. */
	presence_remove(&p, &people[1]);
	CHECK(lobby->count == 2 && consistent(lobby));
	CHECK(presence_find(&p, "p1", 2) == NULL);
	presence_free(&p);
}

static void count_room(const struct room *r, void *arg)
{
	*(size_t *)arg += r->count;
}

static void big_room(void)
{
	struct presence p;
	char name[17];
	int ok = 1;
	CHECK(presence_init(&p) == 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		add(&p, &people[i], name);
		ok &= enter(&p, &people[i], i % 7 ? "lobby" : "side") != NULL;
	}
	CHECK(ok);
	size_t total = 0;
	presence_each_room(&p, count_room, &total);
	CHECK(total == N);
	struct room *lobby = presence_room(&p, "lobby", 5);
	for (int i = 0; i < N; i += 3)
		presence_leave(&p, &people[i]);
	CHECK(consistent(lobby));
	CHECK(consistent(presence_room(&p, "side", 4)));
	total = 0;
	presence_each_room(&p, count_room, &total);
	CHECK(total == N - (N + 2) / 3);
	presence_free(&p);
}

int main(void)
{
	names();
	many_names();
	rooms();
	big_room();
	return UNIT_DONE();
}
