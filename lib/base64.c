/*
 * base64.c - base64 encode and decode.  See base64.h.
 */
#include <string.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Every 12-bit value as its two characters, built on first use: the hot
 * loop is two table loads per three bytes (redis-pub encodes every frame;
 * this halved its instructions for it).
 */
static char etab[4096][2];
static int etab_ready;

static void
etab_init(void)
{
	int v;

	for (v = 0; v < 4096; v++) {
		etab[v][0] = alphabet[v >> 6];
		etab[v][1] = alphabet[v & 63];
	}
	etab_ready = 1;
}

size_t
base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	char *o = out;
	unsigned v;

	if (!etab_ready)
		etab_init();
	for (; n >= 3; n -= 3, p += 3, o += 4) {
		v = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
		memcpy(o, etab[v >> 12], 2);
		memcpy(o + 2, etab[v & 4095], 2);
	}
	if (n) {
		v = (unsigned)p[0] << 16 | (n == 2 ? (unsigned)p[1] << 8 : 0);
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = n == 2 ? alphabet[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* Value of a base64 character, -1 for padding, -2 for whitespace, -3 bad. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	if (c == '=')
		return -1;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return -2;
	return -3;
}

/*
 * sextet() as tables, built on first use, one per position in a group of
 * four with the value already shifted into place: the hot loop is four
 * loads and ORs per three bytes.  Anything but the 64 data characters
 * sets the top bit.
 */
#define NOTDATA 0x80000000u
static unsigned dtab[4][256];
static int dtab_ready;

static void
dtab_init(void)
{
	int c, s;

	for (c = 0; c < 256; c++) {
		s = sextet((unsigned char)c);
		dtab[0][c] = s < 0 ? NOTDATA : (unsigned)s << 18;
		dtab[1][c] = s < 0 ? NOTDATA : (unsigned)s << 12;
		dtab[2][c] = s < 0 ? NOTDATA : (unsigned)s << 6;
		dtab[3][c] = s < 0 ? NOTDATA : (unsigned)s;
	}
	dtab_ready = 1;
}

long
base64_decode(const char *in, size_t n, void *out)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = out;
	unsigned acc = 0, v;
	int bits = 0, pad = 0, quads = 0, s;
	size_t i = 0;

	if (!dtab_ready)
		dtab_init();
	/*
	 * Fast path: groups of four data characters (nearly all of a
	 * payload).  It stops at the first padding, whitespace or bad
	 * character; the loop below goes on from there in the same state
	 * (a whole number of groups decoded, no bits pending).
	 */
	for (; n - i >= 4; i += 4) {
		v = dtab[0][p[i]] | dtab[1][p[i + 1]] | dtab[2][p[i + 2]] |
		    dtab[3][p[i + 3]];
		if (v & NOTDATA)
			break;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
		o += 3;
	}
	for (; i < n; i++) {
		s = sextet((unsigned char)in[i]);
		if (s == -2)
			continue;
		if (s == -3)
			return -1;
		if (s == -1) {
			pad++;
			continue;
		}
		if (pad)	/* data after padding */
			return -1;
		acc = acc << 6 | (unsigned)s;
		bits += 6;
		quads++;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* A group of 4 may end with 2 or 3 characters, never 1. */
	if (quads % 4 == 1 || pad > 2 || (pad && (quads + pad) % 4))
		return -1;
	return (long)(o - (unsigned char *)out);
}
