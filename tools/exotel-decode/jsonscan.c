/*
 * jsonscan.c - JSON checked, not built.  See jsonscan.h.
 */
#include <string.h>

#include "jsonscan.h"

static int
fail(struct jscan *s, const char *why)
{
	s->why = why;
	return -1;
}

void
js_ws(struct jscan *s)
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

int
js_string(struct jscan *s, int mode, char **b, size_t *len, int *esc)
{
	unsigned char c;
	char *start = ++s->p, *q;
	size_t n;

	*esc = 0;
	if (mode == JS_PAYLOAD &&
	    (q = memchr(start, '"', (size_t)(s->e - start))) &&
	    !memchr(start, '\\', n = (size_t)(q - start)) &&
	    !memchr(start, '\t', n) && !memchr(start, '\r', n)) {
		/*
		 * The payload, kilobytes of base64 as a rule: memchr is
		 * faster than the loop below.  Other control characters are
		 * not base64 either: the caller hands a payload that does
		 * not decode to the full check, which says what is wrong.
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
		if (c < 0x20)
			return fail(s, "control character in a string");
		if (mode == JS_PLAIN && c >= 0x80)
			return fail(s, "non-ASCII byte in a field");
		if (c == '\\') {
			if (s->p + 1 >= s->e)
				break;
			c = (unsigned char)s->p[1];
			if (mode == JS_PLAIN ||
			    (mode == JS_PAYLOAD && c != '/'))
				return fail(s, "escape in a field");
			*esc = 1;
			if (c == 'u') {
				if (s->e - s->p < 6 || !ishex(s->p[2]) ||
				    !ishex(s->p[3]) || !ishex(s->p[4]) ||
				    !ishex(s->p[5]))
					return fail(s, "bad \\u escape");
				s->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c))
				return fail(s, "bad escape");
			s->p += 2;
			continue;
		}
		s->p++;
	}
	return fail(s, "unterminated string");
}

int
js_number(struct jscan *s, int *isint)
{
	char *p = s->p;

	*isint = 1;
	if (p < s->e && *p == '-') {
		*isint = 0;
		p++;
	}
	if (p >= s->e || *p < '0' || *p > '9')
		return fail(s, "invalid literal");
	if (*p == '0')
		p++;
	else
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	if (p < s->e && *p == '.') {
		*isint = 0;
		if (++p >= s->e || *p < '0' || *p > '9')
			return fail(s, "invalid number");
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->e && (*p == 'e' || *p == 'E')) {
		*isint = 0;
		if (++p < s->e && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->e || *p < '0' || *p > '9')
			return fail(s, "invalid number");
		while (p < s->e && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int
literal(struct jscan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->e - s->p) < n || memcmp(s->p, word, n))
		return fail(s, "invalid literal");
	s->p += n;
	return 0;
}

/* An object or array at s->p. */
static int
container(struct jscan *s, int depth, int maxdepth)
{
	char close = *s->p == '{' ? '}' : ']';
	char *b;
	size_t len;
	int esc;

	if (depth >= maxdepth)
		return fail(s, "nested deeper than 256");
	s->p++;
	js_ws(s);
	if (s->p < s->e && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->e || *s->p != '"')
				return fail(s, s->p >= s->e ? "truncated" :
				    "object key not a string");
			if (js_string(s, JS_ANY, &b, &len, &esc) < 0)
				return -1;
			js_ws(s);
			if (s->p >= s->e || *s->p++ != ':')
				return fail(s, "expected ':' after a key");
			js_ws(s);
		}
		if (js_value(s, depth + 1, maxdepth) < 0)
			return -1;
		js_ws(s);
		if (s->p >= s->e)
			return fail(s, "truncated");
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return fail(s, close == '}' ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		js_ws(s);
	}
}

int
js_value(struct jscan *s, int depth, int maxdepth)
{
	char *b;
	size_t len;
	int esc, isint;

	if (s->p >= s->e)
		return fail(s, "truncated");
	switch (*s->p) {
	case '"':
		return js_string(s, JS_ANY, &b, &len, &esc);
	case '{':
	case '[':
		return container(s, depth, maxdepth);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return js_number(s, &isint);
	}
}

int
json_check(char *p, size_t n, const char **why)
{
	struct jscan s = { p, p + n, NULL };
	int first;

	js_ws(&s);
	if (s.p >= s.e) {
		*why = "empty";
		return -1;
	}
	first = (unsigned char)*s.p;
	if (js_value(&s, 0, JS_MAXDEPTH) < 0) {
		*why = s.why;
		return -1;
	}
	js_ws(&s);
	if (s.p != s.e) {
		*why = "text after the message";
		return -1;
	}
	return first;
}
