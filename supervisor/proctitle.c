/* proctitle.c — see proctitle.h. */
#include "proctitle.h"

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
