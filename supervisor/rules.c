/* rules.c — the -x file's lines and the verdict for an address
 * (rules.h).  The CIDR parsing and matching are lib/bans.c's. */
#include "rules.h"

#include <string.h>

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next word of [*p, end): its start and length (0 at the end). */
static size_t word(const char **p, const char *end, const char **w)
{
	while (*p < end && blank(**p))
		(*p)++;
	*w = *p;
	while (*p < end && !blank(**p))
		(*p)++;
	return (size_t)(*p - *w);
}

/* One line without its LF, comment included: 1 and *out for a rule,
 * 0 for a blank or comment line, -1 with *why for a bad one. */
static int parse_line(const char *s, size_t len, struct rule *out,
		      const char **why)
{
	const char *hash = memchr(s, '#', len), *end, *p = s, *w;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] < 0x20 && !blank(s[i])) ||
		    s[i] == 0x7f) {
			*why = "a control character";
			return -1;
		}
	}
	end = hash ? hash : s + len;
	size_t wl = word(&p, end, &w);
	if (wl == 0)
		return 0;
	if (wl == 5 && memcmp(w, "allow", 5) == 0)
		out->allow = 1;
	else if (wl == 4 && memcmp(w, "deny", 4) == 0)
		out->allow = 0;
	else {
		*why = "expected allow or deny";
		return -1;
	}
	wl = word(&p, end, &w);
	if (wl == 0 || ban_address(w, wl, &out->net) != 0) {
		*why = "expected an address or ADDRESS/PREFIX after it";
		return -1;
	}
	if (word(&p, end, &w) != 0) {
		*why = "something after the address";
		return -1;
	}
	return 1;
}

size_t rules_parse(struct rules *r, const char *text, size_t len,
		   const char **why)
{
	size_t at = 0, no = 0;
	r->n = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t llen = nl ? (size_t)(nl - (text + at)) : len - at;
		struct rule rule;
		no++;
		if (llen > RULE_LINE_MAX) {
			*why = "longer than 256 bytes";
			return no;
		}
		int k = parse_line(text + at, llen, &rule, why);
		if (k < 0)
			return no;
		if (k > 0 && r->n == RULES_MAX) {
			*why = "more than 1024 rules";
			return no;
		}
		if (k > 0)
			r->v[r->n++] = rule;
		at += llen + 1;
	}
	return 0;
}

enum rule_verdict rules_verdict(const struct rules *r,
				const struct sockaddr *sa)
{
	for (size_t i = 0; i < r->n; i++)
		if (ban_covers_sa(&r->v[i].net, sa))
			return r->v[i].allow ? RULE_ALLOW : RULE_DENY;
	return RULE_NONE;
}
