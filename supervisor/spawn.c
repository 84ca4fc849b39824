/* spawn.c — a handler per connection and its environment; see spawn.h. */
#include "spawn.h"
#include "launch.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* The four variables spawn_handler fills in for each connection. */
enum { UCSPI_VARS = 4 };
static const char *const ucspi_names[UCSPI_VARS] = {
	"TCPREMOTEIP=", "TCPREMOTEPORT=", "TCPLOCALIP=", "TCPLOCALPORT="
};

/* A launcher's environment for its handlers. */
struct spawn_env {
	/* TCPREMOTEHOST's slot, UCSPI_VARS slots, then natterd's
	 * environment; without a host name envp + 1 is given */
	char **envp;
	char var[UCSPI_VARS][sizeof "TCPREMOTEPORT=" + ADDR_TEXT_MAX];
	char host[sizeof "TCPREMOTEHOST=" + RESOLVE_NAME_MAX];
};

static struct {
	char **base;  /* natterd's environment, less the UCSPI variables */
	size_t nbase;
} P;

static int is_ucspi_var(const char *entry)
{
	for (int i = 0; i < UCSPI_VARS; i++)
		if (strncmp(entry, ucspi_names[i], strlen(ucspi_names[i])) == 0)
			return 1;
	return 0;
}

/* natterd's environment, less any inherited UCSPI address variables
 * (each connection gets its own). */
static int env_init(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	P.base = calloc(n + 1, sizeof *P.base);
	if (!P.base)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!is_ucspi_var(environ[i]))
			P.base[P.nbase++] = environ[i];
	return 0;
}

struct spawn_env *spawn_env_new(void)
{
	struct spawn_env *e = malloc(sizeof *e);
	if (!e)
		return NULL;
	e->envp = calloc(1 + UCSPI_VARS + P.nbase + 1, sizeof *e->envp);
	if (!e->envp) {
		free(e);
		return NULL;
	}
	e->envp[0] = e->host;
	for (int i = 0; i < UCSPI_VARS; i++)
		e->envp[1 + i] = e->var[i];
	memcpy(e->envp + 1 + UCSPI_VARS, P.base, P.nbase * sizeof *P.base);
	return e;
}

void spawn_env_free(struct spawn_env *e)
{
	if (e)
		free(e->envp);
	free(e);
}

int spawn_init(const char *path, char *const argv[])
{
	return launch_init(path, argv) != 0 || env_init() != 0 ? -1 : 0;
}

static void set_vars(struct spawn_env *e, const struct endpoint *remote,
		     const struct endpoint *local)
{
	const struct endpoint *ep[2] = { remote, local };
	for (int i = 0; i < 2; i++) {
		/* fits: ADDR_TEXT_MAX holds any address and any port */
		snprintf(e->var[2 * i], sizeof e->var[0], "%s%s",
			 ucspi_names[2 * i], ep[i]->ip);
		snprintf(e->var[2 * i + 1], sizeof e->var[0], "%s%u",
			 ucspi_names[2 * i + 1], ep[i]->port);
	}
}

pid_t spawn_handler(struct spawn_env *e, int fd,
		    const struct endpoint *remote, const struct endpoint *local,
		    const char *host)
{
	set_vars(e, remote, local);
	/* fits: resolve.h bounds the name */
	if (host && (size_t)snprintf(e->host, sizeof e->host, "TCPREMOTEHOST=%s",
				     host) < sizeof e->host)
		return launch(fd, e->envp);
	return launch(fd, e->envp + 1);
}
