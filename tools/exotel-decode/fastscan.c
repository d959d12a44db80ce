/*
 * fastscan.c - a media message without libjq.  See fastscan.h.
 *
 * libjq spends ~2 us building objects and copying the payload string for
 * every message; this scanner validates the same JSON grammar in one pass
 * and only remembers spans.  It gives up (returns 0) on anything unusual:
 * escapes other than "\/" in the payload, any escape or non-ASCII byte in
 * a field it reads, control characters, numbers that are not plain
 * integers, duplicate keys, nesting past 16, trailing text.
 */
#include <string.h>

#include "fastscan.h"
#include "num.h"

#define FAST_DEPTH 16

struct scan {
	char *p, *e;
};

static void
ws(struct scan *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * A string at s->p (after the opening quote has been checked).  plain: 1
 * to refuse escapes and non-ASCII (a field we use), 2 to allow only "\/"
 * (the payload).  Sets *b, *len to the raw content and *esc when it held
 * an escape.  0 on success.
 */
static int
string(struct scan *s, int plain, char **b, size_t *len, int *esc)
{
	unsigned char c;
	char *start = ++s->p, *q;
	size_t n;

	*esc = 0;
	if (plain == 2 && (q = memchr(start, '"', (size_t)(s->e - start))) &&
	    !memchr(start, '\\', n = (size_t)(q - start)) &&
	    !memchr(start, '\t', n) && !memchr(start, '\r', n)) {
		/*
		 * The payload, kilobytes of base64 as a rule: memchr is
		 * faster than the loop below.  Other control characters are
		 * not base64 either: the caller hands a payload that does
		 * not decode to libjq, which says what is wrong.
		 */
		*b = start;
		*len = n;
		s->p = q + 1;
		return 0;
	}
	while (s->p < s->e) {
		c = (unsigned char)*s->p;
		if (c == '"') {
			*b = start;
			*len = (size_t)(s->p - start);
			s->p++;
			return 0;
		}
		if (c < 0x20 || (plain && c >= 0x80))
			return -1;
		if (c == '\\') {
			if (s->p + 1 >= s->e)
				return -1;
			c = (unsigned char)s->p[1];
			if (plain == 1 || (plain == 2 && c != '/'))
				return -1;
			*esc = 1;
			if (c == 'u') {
				if (s->e - s->p < 6 || !ishex(s->p[2]) ||
				    !ishex(s->p[3]) || !ishex(s->p[4]) ||
				    !ishex(s->p[5]))
					return -1;
				s->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c))
				return -1;
			s->p += 2;
			continue;
		}
		s->p++;
	}
	return -1;
}

/* A JSON number; *isint when it is a plain unsigned integer. */
static int
number(struct scan *s, int *isint)
{
	char *p = s->p;

	*isint = 1;
	if (p < s->e && *p == '-') {
		*isint = 0;
		p++;
	}
	if (p >= s->e || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	if (p < s->e && *p == '.') {
		*isint = 0;
		if (++p >= s->e || *p < '0' || *p > '9')
			return -1;
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->e && (*p == 'e' || *p == 'E')) {
		*isint = 0;
		if (++p < s->e && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->e || *p < '0' || *p > '9')
			return -1;
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->e - s->p) < n || memcmp(s->p, word, n))
		return -1;
	s->p += n;
	return 0;
}

static int value(struct scan *s, int depth);

/* An object or array whose values we do not need. */
static int
container(struct scan *s, int depth)
{
	char close = *s->p == '{' ? '}' : ']';
	char *b;
	size_t len;
	int esc;

	if (depth >= FAST_DEPTH)
		return -1;
	s->p++;
	ws(s);
	if (s->p < s->e && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->e || *s->p != '"' ||
			    string(s, 0, &b, &len, &esc) < 0)
				return -1;
			ws(s);
			if (s->p >= s->e || *s->p++ != ':')
				return -1;
			ws(s);
		}
		if (value(s, depth + 1) < 0)
			return -1;
		ws(s);
		if (s->p >= s->e)
			return -1;
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
		ws(s);
	}
}

static int
value(struct scan *s, int depth)
{
	char *b;
	size_t len;
	int esc, isint;

	if (s->p >= s->e)
		return -1;
	switch (*s->p) {
	case '"':
		return string(s, 0, &b, &len, &esc);
	case '{':
	case '[':
		return container(s, depth);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s, &isint);
	}
}

/* An integer field given as a number or a string of digits. */
static int
integer(struct scan *s, long long max, long long *out)
{
	char tmp[24], *b = s->p;
	size_t len;
	int esc, isint;

	if (s->p < s->e && *s->p == '"') {
		if (string(s, 1, &b, &len, &esc) < 0)
			return -1;
	} else {
		if (number(s, &isint) < 0 || !isint)
			return -1;
		len = (size_t)(s->p - b);
	}
	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, b, len);
	tmp[len] = '\0';
	return parse_long(tmp, 0, max, out);
}

/* Undo "\/" escapes in place; returns the new length. */
static size_t
unescape(char *b, size_t n)
{
	size_t i, j;

	for (i = j = 0; i < n; i++) {
		if (b[i] == '\\')
			i++;
		b[j++] = b[i];
	}
	return j;
}

/* The media object's members. */
static int
media(struct scan *s, long long ts_max, long long chunk_max,
    struct fastmedia *fm, int *payesc)
{
	char *k;
	size_t klen;
	int esc, seen = 0;

	s->p++;
	ws(s);
	if (s->p < s->e && *s->p == '}') {
		s->p++;
		return -1;	/* no payload: let libjq report it */
	}
	for (;;) {
		if (s->p >= s->e || *s->p != '"' ||
		    string(s, 1, &k, &klen, &esc) < 0)
			return -1;
		ws(s);
		if (s->p >= s->e || *s->p++ != ':')
			return -1;
		ws(s);
		if (klen == 7 && !memcmp(k, "payload", 7)) {
			if (seen & 1 || s->p >= s->e || *s->p != '"' ||
			    string(s, 2, &fm->payload, &fm->paylen, payesc) < 0)
				return -1;
			seen |= 1;
		} else if (klen == 9 && !memcmp(k, "timestamp", 9)) {
			if (seen & 2 || integer(s, ts_max, &fm->ts) < 0)
				return -1;
			seen |= 2;
		} else if (klen == 5 && !memcmp(k, "chunk", 5)) {
			if (seen & 4 || integer(s, chunk_max, &fm->chunk) < 0)
				return -1;
			seen |= 4;
		} else if (klen == 5 && !memcmp(k, "track", 5)) {
			if (seen & 8 || s->p >= s->e || *s->p != '"' ||
			    string(s, 1, (char **)&fm->track, &fm->tracklen,
			    &esc) < 0)
				return -1;
			seen |= 8;
		} else if (value(s, 2) < 0)
			return -1;
		ws(s);
		if (s->p >= s->e)
			return -1;
		if (*s->p == '}') {
			s->p++;
			return seen & 1 ? 0 : -1;
		}
		if (*s->p++ != ',')
			return -1;
		ws(s);
	}
}

int
fast_media(char *line, size_t n, long long ts_max, long long chunk_max,
    struct fastmedia *fm)
{
	struct scan s = { line, line + n };
	char *k, *ev = NULL;
	size_t klen, evlen = 0;
	int esc, payesc = 0, seen = 0;

	fm->payload = NULL;
	fm->track = NULL;
	fm->ts = fm->chunk = -1;
	ws(&s);
	if (s.p >= s.e || *s.p++ != '{')
		return 0;
	ws(&s);
	for (;;) {
		if (s.p >= s.e || *s.p != '"' ||
		    string(&s, 1, &k, &klen, &esc) < 0)
			return 0;
		ws(&s);
		if (s.p >= s.e || *s.p++ != ':')
			return 0;
		ws(&s);
		if (klen == 5 && !memcmp(k, "event", 5)) {
			if (seen & 1 || s.p >= s.e || *s.p != '"' ||
			    string(&s, 1, &ev, &evlen, &esc) < 0)
				return 0;
			seen |= 1;
		} else if (klen == 5 && !memcmp(k, "media", 5)) {
			if (seen & 2 || s.p >= s.e || *s.p != '{' ||
			    media(&s, ts_max, chunk_max, fm, &payesc) < 0)
				return 0;
			seen |= 2;
		} else if (value(&s, 1) < 0)
			return 0;
		ws(&s);
		if (s.p >= s.e)
			return 0;
		if (*s.p == '}') {
			s.p++;
			break;
		}
		if (*s.p++ != ',')
			return 0;
		ws(&s);
	}
	ws(&s);
	if (s.p != s.e || seen != 3 || evlen != 5 || memcmp(ev, "media", 5))
		return 0;
	if ((fm->escaped = payesc))
		fm->paylen = unescape(fm->payload, fm->paylen);
	return 1;
}
