/*
 * protocol.c - the one table of protocols (protocol.h).
 */
#include <string.h>
#include <strings.h>

#include "protocol.h"

const struct protocol_info protocols_known[PROTOCOL_N] = {
	[PROTOCOL_UNKNOWN] = { "unknown", NULL, 0, 0, 0 },
	/* Exotel's default rate; ?sample-rate= says otherwise. */
	[PROTOCOL_EXOTEL] = { "exotel", NULL, 1, 8000, 0 },
	/* The rate comes in the start message. */
	[PROTOCOL_NATIVE] = { "native", "Bearer", 0, 0, 1 },
};

const struct protocol_info *
protocol_info(enum protocol p)
{
	if ((unsigned)p >= PROTOCOL_N)
		p = PROTOCOL_UNKNOWN;
	return &protocols_known[p];
}

const char *
protocol_name(enum protocol p)
{
	return protocol_info(p)->name;
}

enum protocol
protocol_claimed(const char *authorization)
{
	size_t n;
	int p;

	if (authorization == NULL)
		return PROTOCOL_EXOTEL;
	for (p = 0; p < PROTOCOL_N; p++) {
		const char *s = protocols_known[p].scheme;

		if (s == NULL)
			continue;
		n = strlen(s);
		if (!strncasecmp(authorization, s, n) &&
		    (authorization[n] == ' ' || authorization[n] == '\t'))
			return (enum protocol)p;
	}
	return PROTOCOL_EXOTEL;
}
