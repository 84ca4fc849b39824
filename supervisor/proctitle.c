/* proctitle.c — see proctitle.h. */
#include "proctitle.h"

#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static char *area;   /* argv[0]'s first byte */
static size_t room;  /* bytes up to the end of the last contiguous arg */

void proctitle_init(int argc, char **argv)
{
	if (argc < 1 || !argv[0])
		return;
	area = argv[0];
	char *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	room = (size_t)(end - area);
}

extern char **environ;

int proctitle_take_environ(void)
{
	char *end = area + room;
	size_t n = 0;
	if (!area || !environ)
		return -1;
	while (environ[n])
		n++;
	char **copy = calloc(n + 1, sizeof *copy);
	if (!copy)
		return -1;
	size_t took = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(copy[i] = strdup(environ[i])))
			return -1; /* environ untouched: still valid */
		if (environ[i] == end && took == i) {
			end += strlen(environ[i]) + 1;
			took++;
		}
	}
	environ = copy;
	room = (size_t)(end - area);
	return 0;
}

void proctitle_set(const char *title, const char *name)
{
	if (area && room > 1) {
		size_t n = strlen(title);
		if (n > room - 1)
			n = room - 1;
		memcpy(area, title, n);
		memset(area + n, '\0', room - n);
	}
#ifdef __linux__
	(void)prctl(PR_SET_NAME, name, 0, 0, 0); /* only a name: harmless */
#else
	(void)name;
#endif
}
