/*
 * sniff.c - see sniff.h.
 */
#include <stdlib.h>

#include "pcm.h"
#include "proto.h"
#include "sniff.h"

#define SNIFF_MIN 64		/* bytes: less is too little to tell */
#define SMOOTH 0.9		/* white noise measures about 1.3 */
#define ROUGH 1.1

/* Roughness of n samples got by get(i); -1 when they are all zero. */
static double
roughness(const unsigned char *p, size_t n, int pcm16)
{
	double sum = 0, diff = 0;
	long prev = 0, x;
	size_t i;

	for (i = 0; i < n; i++) {
		x = pcm16 ? le16_get(p + 2 * i) : ulaw_to_pcm16(p[i]);
		sum += labs(x);
		if (i > 0)
			diff += labs(x - prev);
		prev = x;
	}
	return sum == 0 ? -1 : diff / sum;
}

int
sniff_codec(const unsigned char *p, size_t n)
{
	double r16, ru;

	if (n < SNIFF_MIN)
		return -1;
	r16 = roughness(p, n / 2, 1);
	ru = roughness(p, n, 0);
	/* Zero bytes: PCM16 silence (as mu-law, a full-scale constant). */
	if (r16 < 0)
		return C_PCM16;
	/* 0xff and 0x7f only: mu-law silence. */
	if (ru < 0)
		return C_MULAW;
	if (r16 < SMOOTH && ru > ROUGH)
		return C_PCM16;
	if (ru < SMOOTH && r16 > ROUGH)
		return C_MULAW;
	return -1;
}
