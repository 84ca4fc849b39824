/* natter-protocol.h — the protocol between natter-session handlers and
 * the broker, versioned.  lib/frame.h encodes and decodes it.
 *
 * A stream over a UNIX-domain socket carries frames:
 *
 *   u16 payload length (big-endian, <= FRAME_PAYLOAD_MAX)
 *   u8  type (enum frame_type)
 *   u8  flags
 *   payload:  u8 alen, alen bytes of field a,
 *             u8 blen, blen bytes of field b,
 *             the rest is the text.
 *
 * Fields a and b are at most FRAME_FIELD_MAX bytes, the text at most
 * FRAME_TEXT_MAX.  None may contain NUL or another control character;
 * the decoder refuses such a frame, and the broker disconnects the
 * handler that sent it (only that one).  Each type has an exact shape
 * (which fields are empty, how long the others may be, which flags it
 * may carry: the table in frame.c, frame_shape_ok); the broker checks
 * it before it acts on a frame and disconnects a handler that breaks
 * it.
 *
 * Handler -> broker                    Broker -> handler
 *   LOGIN  a=name b=room                  OK a=name b=room (the broker's
 *          text="ip port ORIGIN SINCE     spellings), then INFO lines
 *          REPLAY" (below); flags         greeting (none on a rejoin),
 *          FRAME_REJOIN: re-announcing    the replay (LINE frames with
 *          after a broker restart;        FRAME_REPLAY), then LIVE; or
 *          FRAME_ACCOUNT: a password      ERR text=reason
 *          login; the high nibble the
 *          version (below)
 *   SAY    a=LINE_NO text                 LINE a=from b=room
 *   ME     a=LINE_NO text                      text="SEQ TIME_MS KIND TEXT"
 *                                          to the room but the sender;
 *                                          ACK a=LINE_NO text=SEQ to it
 *   PRIV   a=to b=LINE_NO text             PRIVATE a=from b="ORIGIN
 *                                          LINE_NO" text to the
 *                                          recipient; to the sender OK
 *                                          a=to text (its confirmation),
 *                                          or ERR if no such user
 *   JOIN   b=room text=REPLAY              JOINED a=name b=room
 *                                          text=old room to the room
 *                                          LEFT a=name b=old text=new room
 *                                          to the old room; INFO lines,
 *                                          the replay and LIVE to the
 *                                          mover, or ERR
 *   WHO                                    INFO lines: who is in your room
 *   ROOMS                                  INFO lines: rooms and counts
 *   HISTORY text=N                         LINE frames (FRAME_REPLAY), or
 *                                          one INFO when there are none
 *   (connection closed = logout)           LEFT a=name b=room text=""
 *                                          KICK text=why, then close
 *
 * People (version 3, issue 14):
 *   LOGIN  flags FRAME_ACCOUNT: the name   after the greeting, for an
 *          is an account (the session      account: INFO "N messages were
 *          checked its password)           left for you", then STORED
 *                                          a=from b=when text, each
 *   PRIV   flags FRAME_TO_ACCOUNT: a=to    when a=to is not logged in:
 *          is an account (the sender's     OK a=to text, then INFO "kept
 *          session found it in the users   for delivery" or ERR "full";
 *          file)                           when a=to is away: OK, then
 *                                          INFO "to is away: message"
 *   AWAY   text (<= AWAY_TEXT_MAX bytes;   INFO: the new state
 *          empty: back)
 *   IGNORE a=name (empty: list)            INFO lines (the list, or the
 *   UNIGNORE a=name                        change), or ERR
 *   WHO's INFO marks who is away and who has been idle a minute or more:
 *   "ann (away: lunch; idle 5m)".  MSG, ACTION and PRIVATE from someone
 *   a handler's person ignores are not sent to that handler; the sender
 *   is not told.  The broker trusts both account flags: sessions are
 *   its own uid's programs (it checks each peer's uid), and the sender's
 *   session, not the broker, has the users file.
 *
 * Moderation (version 3, issue 15):
 *   LOGIN flags FRAME_OPERATOR: the person is an operator (the session
 *          knows it from the users file; the broker trusts its
 *          sessions, which run as its own uid)
 *   MOD    a=verb b=target text=rest      INFO lines, or ERR (one reply);
 *          verbs: kick NAME [reason],      KICKED a=name b=room text=
 *          ban TARGET [DURATION] [reason],   "was kicked by X: why" to
 *          unban TARGET, bans, mute NAME     the room, instead of LEFT;
 *          [DURATION], unmute NAME, topic    the one kicked gets KICK
 *          [text], wall text, who, stats     text="You were ... by X"
 *          (who and stats: tab-separated   WALL a=from text, to everyone
 *          lines for natterctl)            TOPIC a=by b=room text, at a
 *                                          join and when it changes
 *   CTL    a=program, flags the version:   OK, or ERR FATAL: a control
 *          natterctl instead of LOGIN      program (operator, no person)
 *
 * Files (version 3, issue 16; lib/xferproto.h, doc/DESIGN.md "Sharing
 * a file").  Offers are the broker's, in memory (broker/offers.h):
 *   FILECAP: the person runs the natter   no reply (the broker offers
 *          client (said after LOGIN, and   files only to such people)
 *          again after a rejoin's OK)
 *   OFFER  a=to b=SIZE text=NAME (a       OK a=to b=ID text=TOKEN, or
 *          clean name: fname.h)            ERR; to the recipient OFFERED
 *                                          a=from b=ID text="SIZE NAME"
 *   FILEOP a=verb (accept, decline,        accept: OK a=from b=ID
 *          cancel, list) b=ID (none for      text="TOKEN SIZE NAME";
 *          list)                           the others INFO lines; or ERR
 *                                          (one reply); the other person
 *                                          hears FILENOTE a=event
 *                                          (accepted, declined,
 *                                          cancelled, expired, gone)
 *                                          b=ID text=what happened
 *   XFER   a=put|get b=TOKEN: a data       OK a=role b=ID text="SIZE
 *          session's first and only         KEY NAME", or ERR (the session
 *          frame, in place of LOGIN          then closes)
 *
 * The room log (version 3; doc/DESIGN.md, "Rooms that remember").
 * ORIGIN names the session process, unique across restarts
 * ([A-Za-z0-9._-], 1 to 40 bytes); LINE_NO is its own count of the
 * lines it sent, from 1, in decimal.  The broker logs each SAY and ME
 * in its room's log, which gives it the room's sequence number SEQ,
 * then fans it out as LINE (KIND "say" or "me", TIME_MS the wall clock
 * in ms since the epoch) and sends the sender ACK: the line is logged
 * (SEQ 0: history is off or failing, it went out all the same; also
 * for a line the log already held, sent again after a restart, which
 * is not fanned out twice).  A session keeps the lines not yet acked
 * and sends them again, with their numbers, after a rejoin.  It shows
 * a live LINE only when its SEQ is past the last one it showed in the
 * room (or SEQ is 0).
 *
 * SINCE, on a rejoin, is that last SEQ (0: none); the broker replays
 * the lines logged after it (at most HISTORY_CATCHUP_MAX, an INFO says
 * how many were left out).  REPLAY, on a login or join, is how many of
 * the room's last lines to replay (at most HISTORY_MAX).  The member
 * enters the room in the same step as the replay is sent, so each line
 * is either in the replay or comes live after it.  LIVE b=room
 * text=SEQ, with FRAME_LAST, ends the reply to LOGIN and JOIN: SEQ is
 * the room's last sequence number when the person came in (0: none).
 * PRIVATE's b lets the recipient drop a private line it already showed
 * (sent again after a restart).
 *
 * Replies.  LOGIN, PRIV, JOIN, WHO, ROOMS, HISTORY, AWAY, IGNORE,
 * UNIGNORE and MOD each get exactly one reply from the broker, sent to
 * the asking handler only, and the last frame
 * of that reply carries the flag FRAME_LAST.  Replies to one handler
 * come in the order of its requests; frames caused by other handlers
 * (LINE, JOINED, ...) may come between the frames of a reply, except
 * in the reply to LOGIN and JOIN.  SAY and ME get no reply but an ACK,
 * which a session does not wait for.  This lets natter-session handle its person's lines
 * strictly in order: after a request it takes no further line until the
 * reply's last frame has arrived, so answers appear in the order the
 * person asked, and nothing typed after a request is sent to a broker
 * that may die before answering it.
 *
 * The OK that accepts a LOGIN carries FRAME_MARKS_LAST: "this broker
 * marks the ends of its replies".  A handler waits for FRAME_LAST only
 * from a broker that said so; against an older broker (flags 0, no
 * FRAME_LAST ever) it handles lines as they come.
 *
 * Versions.  The high nibble of LOGIN's flags carries the handler's
 * protocol version, and the high nibble of the broker's reply to LOGIN
 * (its OK, or its ERR) the broker's.  0 there means the unversioned
 * protocol of the first natter round, which is version 1: its handlers
 * send LOGIN with flags 0 or FRAME_REJOIN only, its brokers answer with
 * flags 0 or FRAME_MARKS_LAST|FRAME_LAST, and both test flags bit by
 * bit, so they ignore the nibble.  Version 2 is version 1 with the
 * nibble: nothing else differs on the wire, so a broker of version 2
 * serves version 1 handlers as its own (NATTER_PROTOCOL_OLDEST).  A
 * version that adds frames must raise NATTER_PROTOCOL_VERSION, send its
 * new frames only to handlers that announced it (the broker keeps each
 * handler's version) or raise NATTER_PROTOCOL_OLDEST.  Version 3 adds
 * the room log (LINE, ACK, LIVE, HISTORY, the numbered SAY, ME and
 * PRIV, LOGIN's longer text, FRAME_ACCOUNT, FRAME_REPLAY) and raises
 * both bounds to 3: a broker of version 3 serves only version 3
 * handlers, and they need a broker of version 3.
 *
 * A handler whose version the broker does not serve gets one ERR with
 * FRAME_LAST and FRAME_FATAL ("natter-session speaks protocol N; this
 * broker speaks M: restart the session"), then the broker closes the
 * connection.  A handler that needs a newer broker than the one that
 * accepted it (the OK's version is below NATTER_PROTOCOL_BROKER_MIN)
 * tells its person so in one line and ends. */
#ifndef NATTER_PROTOCOL_H
#define NATTER_PROTOCOL_H

/* Don't forget to bump this when adding frames, flags or fields. */
#define NATTER_PROTOCOL_VERSION 3
/* The oldest handler version this broker serves (version 3 added
 * frames both ways: only version 3 handlers are served). */
#define NATTER_PROTOCOL_OLDEST 3
/* The oldest broker version this handler can use. */
#define NATTER_PROTOCOL_BROKER_MIN 3

#define FRAME_HDR 4
#define FRAME_FIELD_MAX 64
#define FRAME_TEXT_MAX 4096
#define FRAME_PAYLOAD_MAX (2 + 2 * FRAME_FIELD_MAX + FRAME_TEXT_MAX)
#define FRAME_MAX (FRAME_HDR + FRAME_PAYLOAD_MAX)

/* HISTORY and REPLAY: at most this many lines; a rejoin's catch-up at
 * most HISTORY_CATCHUP_MAX. */
#define HISTORY_MAX 500
#define HISTORY_CATCHUP_MAX 500
#define HISTORY_DEFAULT 20     /* -H */
#define LINE_NO_MAX 20         /* digits of a LINE_NO or SEQ */
#define ORIGIN_MAX 40          /* bytes of an ORIGIN */
/* SAY's and ME's text: room for LINE's "SEQ TIME_MS KIND " before it. */
#define SAY_TEXT_MAX (FRAME_TEXT_MAX - 64)

/* Type numbers: never reuse one, and bump the version when adding.
 * 1-63 go from a handler to the broker, 64-127 from the broker to a
 * handler; 128-255 are unassigned. */
enum frame_type {
	/* handler -> broker */
	FRAME_LOGIN = 1,
	FRAME_SAY = 2,
	FRAME_ME = 3,
	FRAME_PRIV = 4,
	FRAME_JOIN = 5,
	FRAME_WHO = 6,
	FRAME_ROOMS = 7,
	/* 8-11: history (issue 12): */
	FRAME_HISTORY = 8,
	/* 12-19: people (issue 14): */
	FRAME_AWAY = 12,     /* text=away message; empty: back */
	FRAME_IGNORE = 13,   /* a=name to ignore; empty a: list them */
	FRAME_UNIGNORE = 14, /* a=name */
	/* 20-27: moderation (issue 15): */
	FRAME_MOD = 20,
	FRAME_CTL = 21,
	/* 28-35: files (issue 16): */
	FRAME_FILECAP = 28,
	FRAME_OFFER = 29,
	FRAME_FILEOP = 30,
	FRAME_XFER = 31,
	/* broker -> handler */
	FRAME_OK = 64,
	FRAME_ERR = 65,
	FRAME_MSG = 66,
	FRAME_ACTION = 67,
	FRAME_PRIVATE = 68,
	FRAME_JOINED = 69,
	FRAME_LEFT = 70,
	FRAME_INFO = 71,
	FRAME_KICK = 72,
	/* 73-79: history (issue 12): */
	FRAME_LINE = 73,
	FRAME_ACK = 74,
	FRAME_LIVE = 75,
	/* 80-87: people (issue 14): */
	FRAME_STORED = 80,   /* a=from b=when (UTC: 2026-05-01T10:00:00Z)
				text: a private message kept while the
				recipient was not logged in */
	/* 88-95: moderation (issue 15): */
	FRAME_KICKED = 88,
	FRAME_WALL = 89,
	FRAME_TOPIC = 90,
	/* 96-103: files (issue 16): */
	FRAME_OFFERED = 96,
	FRAME_FILENOTE = 97,
};
#define FRAME_TO_BROKER_FIRST 1
#define FRAME_TO_BROKER_END 64   /* past the last handler -> broker type */
#define FRAME_TO_HANDLER_FIRST 64
#define FRAME_TO_HANDLER_END 128

#define AWAY_TEXT_MAX 200  /* bytes of an away message */

/* Flags: never reuse a bit either.  Handler -> broker: */
#define FRAME_REJOIN 0x01      /* LOGIN: re-announcing after a restart */
#define FRAME_ACCOUNT 0x02     /* LOGIN: the name is an account of the
				  users file (its password was checked) */
#define FRAME_TO_ACCOUNT 0x02  /* PRIV: the recipient is an account (the
				  sender's session looked it up) */
#define FRAME_OPERATOR 0x04    /* LOGIN: the person is an operator */
/* Broker -> handler: */
#define FRAME_LAST 0x02        /* the last frame of a reply */
#define FRAME_MARKS_LAST 0x04  /* LOGIN's OK: replies end in FRAME_LAST */
#define FRAME_FATAL 0x08       /* ERR: the broker closes after it; show
				  its text and end */
#define FRAME_REPLAY 0x10      /* LINE (v3): from the log, not live */
/* LOGIN and the reply to it: the sender's protocol version. */
#define FRAME_VERSION_MASK 0xf0
#define FRAME_VERSION_SHIFT 4

/* The flags bits that announce version v. */
#define NATTER_PROTOCOL_FLAGS(v) ((v) << FRAME_VERSION_SHIFT)
/* The version announced in a LOGIN's or its reply's flags (0 there is
 * the unversioned version 1). */
#define NATTER_PROTOCOL_OF(flags) \
	(((unsigned)(flags) & FRAME_VERSION_MASK) >> FRAME_VERSION_SHIFT ? \
	 ((unsigned)(flags) & FRAME_VERSION_MASK) >> FRAME_VERSION_SHIFT : 1u)

#endif
