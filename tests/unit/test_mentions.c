/* test_mentions.c — name_mentioned (lib/mentions.h): a name said as a
 * word, in any case, anywhere in a line; not inside another word. */
#include "mentions.h"
#include "unit.h"

#include <string.h>

static int said(const char *text, const char *name)
{
	return name_mentioned(text, strlen(text), name);
}

int main(void)
{
	CHECK(said("ann", "ann"));
	CHECK(said("hi ann", "ann"));
	CHECK(said("ann: hi", "ann"));
	CHECK(said("hi ANN!", "ann"));
	CHECK(said("hi Ann", "ANN"));
	CHECK(said("joanne, anna and ann", "ann"));   /* the third word */
	CHECK(said("x-y ann_2", "ann_2"));
	CHECK(said("\xed\x95\x9c ann \xea\xb8\x80", "ann")); /* beside Korean */
	CHECK(!said("joanne", "ann"));
	CHECK(!said("anna", "ann"));
	CHECK(!said("ann_2", "ann"));
	CHECK(!said("bob-ann", "ann"));
	CHECK(!said("an", "ann"));
	CHECK(!said("", "ann"));
	CHECK(!said("ann", ""));
	CHECK(!name_mentioned("ann", 3, NULL));
	/* the length is the line's, not the string's */
	CHECK(!name_mentioned("hi ann", 5, "ann"));
	CHECK(name_mentioned("hi ann!", 6, "ann"));
	return UNIT_DONE();
}
