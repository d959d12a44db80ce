/*
 * num.c - bounded number parsing.  See num.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "msg.h"
#include "num.h"

int
parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	if (min >= 0 && (*s == '-' || *s == '+'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
opt_int(const char *what, const char *s, long long min, long long max)
{
	long long v;

	if (parse_long(s, min, max, &v) < 0)
		fatal(EXIT_USAGE, "invalid %s: %s (want an integer from %lld to %lld)",
		    what, s, min, max);
	return (int)v;
}

const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}
