/*
 * jsonvalid.c - see jsonvalid.h.
 */
#include <string.h>

#include "jsonvalid.h"

#define DEPTH_LIMIT 256

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A string at p ('"'); returns the byte after it, or NULL. */
static const char *
string(const char *p, const char *end)
{
	int i;

	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (i = 0; i < 4; i++)
					if (++p >= end || !hex(*p))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", *p) || *p == '\0')
				return NULL;
		}
	}
	return NULL;
}

static const char *
number(const char *p, const char *end)
{
	const char *d;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		for (d = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == d)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *
literal(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && !memcmp(p, word, n) ? p + n : NULL;
}

int
json_valid(const char *buf, size_t len, int depth_max)
{
	char stack[DEPTH_LIMIT];	/* '{' or '[' per open container */
	const char *p = buf, *end = buf + len;
	int depth = 0;

	if (depth_max > DEPTH_LIMIT)
		depth_max = DEPTH_LIMIT;
	for (;;) {
		/* A value is expected at p. */
		p = ws(p, end);
		if (p >= end)
			return 0;
		if (*p == '{' || *p == '[') {
			if (depth >= depth_max)
				return 0;
			stack[depth++] = *p++;
			p = ws(p, end);
			if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']')) {
				depth--;
				p++;
				goto after;
			}
			if (stack[depth - 1] == '[')
				continue;
			goto key;
		}
		if (*p == '"')
			p = string(p, end);
		else if (*p == '-' || (*p >= '0' && *p <= '9'))
			p = number(p, end);
		else if (*p == 't')
			p = literal(p, end, "true");
		else if (*p == 'f')
			p = literal(p, end, "false");
		else if (*p == 'n')
			p = literal(p, end, "null");
		else
			return 0;
		if (p == NULL)
			return 0;
after:
		/* After a value: close containers, or a ',' for the next. */
		for (;;) {
			p = ws(p, end);
			if (depth == 0)
				return p == end;
			if (p >= end)
				return 0;
			if (*p == (stack[depth - 1] == '{' ? '}' : ']')) {
				depth--;
				p++;
				continue;
			}
			if (*p != ',')
				return 0;
			p++;
			if (stack[depth - 1] == '[')
				break;		/* the next value */
key:
			p = ws(p, end);
			if (p >= end || *p != '"' || (p = string(p, end)) == NULL)
				return 0;
			p = ws(p, end);
			if (p >= end || *p != ':')
				return 0;
			p++;
			break;			/* the member's value */
		}
	}
}
