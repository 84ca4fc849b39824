/* loginstrings.h — the words of natter-session's log-in dialogue that
 * the client (natter) watches for to log in unattended and to tell how
 * a login ended.  One definition for both sides, so they cannot drift.
 *
 * The prompts end without a line end (the person types after them);
 * the other strings begin a line of their own. */
#ifndef NATTER_LOGINSTRINGS_H
#define NATTER_LOGINSTRINGS_H

#define LOGIN_ID_PROMPT "ID: "       /* asks for the name */
#define LOGIN_PW_PROMPT "PW: "       /* asks for the password (echo off) */
#define LOGIN_PROMPT_LEN 4           /* both prompts are this long */
#define LOGIN_OK_TEXT "Log-in success!!"  /* then " [name]" CR LF */
#define LOGIN_BAD_TEXT "Login incorrect."  /* a wrong name or password */
/* The notice after the last failed try (shown after the notice
 * prefix "*** "). */
#define LOGIN_TOO_MANY_TEXT "Too many failures; goodbye."
#define LOGIN_ROOM_BANNER "-----Chatting Room-----" /* chat begins */

_Static_assert(sizeof LOGIN_ID_PROMPT - 1 == LOGIN_PROMPT_LEN &&
	       sizeof LOGIN_PW_PROMPT - 1 == LOGIN_PROMPT_LEN,
	       "the client reads prompts LOGIN_PROMPT_LEN bytes long");

#endif
