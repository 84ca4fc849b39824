/* files.h — the broker's side of sharing files (issue 16): OFFER,
 * FILEOP, FILECAP and XFER frames (lib/natter-protocol.h) on the
 * offers table (offers.h).  The broker never sees a file's bytes: it
 * issues the tokens that let two data sessions find each other
 * (handler/transfer.c) and tells each person what the other did. */
#ifndef NATTER_BROKER_FILES_H
#define NATTER_BROKER_FILES_H

#include "chat.h"

/* max: the largest file that may be offered (chat_init gives the
 * default; natter-broker -F sets ch->file_max after).  0, or -1 when
 * memory ran out.  Every function below does nothing without it. */
int files_init(struct chat *ch, uint64_t max);
/* natter-broker -O: how long an unanswered offer stays open (seconds,
 * XFER_OPEN_S_MIN to XFER_OPEN_S_MAX), before files_init. */
void files_set_open_s(long seconds);
/* After chat_init took the state directory: the offers a broker
 * before this one kept there (offers_file.h), each waiting for its
 * people to rejoin.  Every change to the offers is written there
 * before anyone hears of it. */
void files_restore(struct chat *ch);
void files_free(struct chat *ch);
/* FILECAP, OFFER, FILEOP from a logged-in person. */
void files_frame(struct chat *ch, struct chatter *c, const struct frame *f);
/* XFER: a data session's claim of its token (in place of LOGIN). */
void files_xfer(struct chat *ch, struct chatter *c, const struct frame *f);
/* c leaves: its offers, to it and from it, end; the others are told. */
void files_gone(struct chat *ch, struct chatter *c);
/* -1, or when files_timers has an offer to expire. */
long long files_due(const struct chat *ch);
void files_timers(struct chat *ch, long long now);

#endif
