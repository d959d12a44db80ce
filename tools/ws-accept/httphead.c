/*
 * httphead.c - see httphead.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "httphead.h"

size_t
httphead_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Is [v, v+n) a decimal number that fits (no sign, no blanks inside)? */
static int
decimal(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > 15)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i]))
			return 0;
	return 1;
}

int
httphead_check(const char *buf, size_t len, const char **why)
{
	const char *p = buf, *end = buf + len, *eol, *colon, *v, *ve;
	const char *cl = NULL;
	size_t cln = 0, n;
	int line;

	if (len > HTTPHEAD_MAX) {
		*why = "request header too large";
		return 431;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL byte in the request header";
		return 400;
	}
	for (line = 0; p < end; line++, p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;		/* the blank line: end of the head */
		if (line == 0) {
			/* METHOD SP target SP HTTP/1.x */
			if (n < 14 || memcmp(p + n - 8, "HTTP/1.", 7) ||
			    memchr(p, ' ', n) == NULL) {
				*why = "malformed request line";
				return 400;
			}
			if (p[n - 1] != '1' && p[n - 1] != '0') {
				*why = "HTTP version not supported";
				return 505;
			}
			continue;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			*why = "obsolete line folding in the request header";
			return 400;
		}
		if ((colon = memchr(p, ':', n)) == NULL || colon == p ||
		    colon[-1] == ' ' || colon[-1] == '\t') {
			*why = "malformed request header line";
			return 400;
		}
		v = colon + 1;
		ve = p + n;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((size_t)(colon - p) == 14 &&
		    !strncasecmp(p, "Content-Length", 14)) {
			if (!decimal(v, (size_t)(ve - v)) || (cl != NULL &&
			    (cln != (size_t)(ve - v) || memcmp(cl, v, cln)))) {
				*why = "bad Content-Length";
				return 400;
			}
			cl = v;
			cln = (size_t)(ve - v);
		} else if ((size_t)(colon - p) == 17 &&
		    !strncasecmp(p, "Transfer-Encoding", 17)) {
			*why = "Transfer-Encoding not supported";
			return 400;
		}
	}
	return 0;
}
