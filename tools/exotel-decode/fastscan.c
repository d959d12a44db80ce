/*
 * fastscan.c - a media message without libjq.  See fastscan.h.
 *
 * libjq spends ~2 us building objects and copying the payload string for
 * every message; this checks the JSON grammar in one pass (jsonscan.c)
 * and only remembers spans.  It gives up (returns 0) on anything unusual:
 * escapes other than "\/" in the payload, any escape or non-ASCII byte in
 * a field it reads, control characters, numbers that are not plain
 * integers, duplicate keys, nesting past 16, trailing text.
 */
#include <string.h>

#include "fastscan.h"
#include "jsonscan.h"
#include "num.h"

#define FAST_DEPTH 16

/* An integer field given as a number or a string of digits. */
static int
integer(struct jscan *s, long long max, long long *out)
{
	char tmp[24], *b = s->p;
	size_t len;
	int esc, isint;

	if (s->p < s->e && *s->p == '"') {
		if (js_string(s, JS_PLAIN, &b, &len, &esc) < 0)
			return -1;
	} else {
		if (js_number(s, &isint) < 0 || !isint)
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
media(struct jscan *s, long long ts_max, long long chunk_max,
    struct fastmedia *fm, int *payesc)
{
	char *k;
	size_t klen;
	int esc, seen = 0;

	s->p++;
	js_ws(s);
	if (s->p < s->e && *s->p == '}') {
		s->p++;
		return -1;	/* no payload: let libjq report it */
	}
	for (;;) {
		if (s->p >= s->e || *s->p != '"' ||
		    js_string(s, JS_PLAIN, &k, &klen, &esc) < 0)
			return -1;
		js_ws(s);
		if (s->p >= s->e || *s->p++ != ':')
			return -1;
		js_ws(s);
		if (klen == 7 && !memcmp(k, "payload", 7)) {
			if (seen & 1 || s->p >= s->e || *s->p != '"' ||
			    js_string(s, JS_PAYLOAD, &fm->payload, &fm->paylen,
			    payesc) < 0)
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
			    js_string(s, JS_PLAIN, (char **)&fm->track,
			    &fm->tracklen, &esc) < 0)
				return -1;
			seen |= 8;
		} else if (js_value(s, 2, FAST_DEPTH) < 0)
			return -1;
		js_ws(s);
		if (s->p >= s->e)
			return -1;
		if (*s->p == '}') {
			s->p++;
			return seen & 1 ? 0 : -1;
		}
		if (*s->p++ != ',')
			return -1;
		js_ws(s);
	}
}

int
fast_media(char *line, size_t n, long long ts_max, long long chunk_max,
    struct fastmedia *fm)
{
	struct jscan s = { line, line + n, NULL };
	char *k, *ev = NULL;
	size_t klen, evlen = 0;
	int esc, payesc = 0, seen = 0;

	fm->payload = NULL;
	fm->track = NULL;
	fm->ts = fm->chunk = -1;
	js_ws(&s);
	if (s.p >= s.e || *s.p++ != '{')
		return 0;
	js_ws(&s);
	for (;;) {
		if (s.p >= s.e || *s.p != '"' ||
		    js_string(&s, JS_PLAIN, &k, &klen, &esc) < 0)
			return 0;
		js_ws(&s);
		if (s.p >= s.e || *s.p++ != ':')
			return 0;
		js_ws(&s);
		if (klen == 5 && !memcmp(k, "event", 5)) {
			if (seen & 1 || s.p >= s.e || *s.p != '"' ||
			    js_string(&s, JS_PLAIN, &ev, &evlen, &esc) < 0)
				return 0;
			seen |= 1;
		} else if (klen == 5 && !memcmp(k, "media", 5)) {
			if (seen & 2 || s.p >= s.e || *s.p != '{' ||
			    media(&s, ts_max, chunk_max, fm, &payesc) < 0)
				return 0;
			seen |= 2;
		} else if (js_value(&s, 1, FAST_DEPTH) < 0)
			return 0;
		js_ws(&s);
		if (s.p >= s.e)
			return 0;
		if (*s.p == '}') {
			s.p++;
			break;
		}
		if (*s.p++ != ',')
			return 0;
		js_ws(&s);
	}
	js_ws(&s);
	if (s.p != s.e || seen != 3 || evlen != 5 || memcmp(ev, "media", 5))
		return 0;
	if ((fm->escaped = payesc))
		fm->paylen = unescape(fm->payload, fm->paylen);
	return 1;
}
