/* upgrade_state.h — inside the upgrade (upgrade.h): how natterd was
 * started, and the state handed from the old natterd to the new. */
#ifndef NATTERD_UPGRADE_STATE_H
#define NATTERD_UPGRADE_STATE_H

#include <limits.h>
#include <sys/types.h>

#include "addr.h"
#include "brokerproc.h"
#include "launchers.h"
#include "listen.h"

#define UPGRADE_FD_ENV "NATTER_UPGRADE_FD"
#define UPGRADE_PREV_ENV "NATTER_UPGRADE_PREV_FD"
#define UPGRADE_LINE_MAX 256  /* a longer state line is refused */

struct upgrade_self {
	char path[PATH_MAX];   /* the executable natterd was started as */
	char **argv;           /* its arguments, copied */
	int prev_fd;           /* that executable, opened at start */
	int state_fd;          /* resuming: the state, else -1 */
};
extern struct upgrade_self U;

/* Writes the running natterd's state to an unlinked temporary file;
 * returns its descriptor (at offset 0, open across exec), or -1 with
 * errno set. */
int upgrade_state_write(const struct listeners *ls);

#endif
