/*
 * base64url.c - base64url encode and strict decode.  See base64url.h.
 * The alphabet and the decoding are base64.c's: base64_decode already
 * takes '-' and '_'; this file only adds the rules of the URL form.
 */
#include <string.h>

#include "base64.h"
#include "base64url.h"

size_t
base64url_encode(const void *in, size_t n, char *out)
{
	size_t len = base64_encode(in, n, out), i;

	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=')
			break;
	}
	out[i] = '\0';
	return i;
}

static int
urlchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

long
base64url_decode(const char *in, size_t n, void *out)
{
	const unsigned char *o = out;
	char tail[BASE64_ENCODED_LEN(2) + 1];
	size_t i, r = n % 4;
	long got;

	if (r == 1)		/* no number of whole bytes spells that */
		return -1;
	for (i = 0; i < n; i++)
		if (!urlchar((unsigned char)in[i]))
			return -1;
	if ((got = base64_decode(in, n, out)) < 0)
		return -1;
	/*
	 * The last 2 or 3 characters spell the last 1 or 2 bytes; they are
	 * canonical when encoding those bytes again gives them back.
	 */
	if (r && (size_t)got >= r - 1) {
		base64url_encode(o + got - (long)(r - 1), r - 1, tail);
		if (memcmp(tail, in + n - r, r) != 0)
			return -1;
	}
	return got;
}
