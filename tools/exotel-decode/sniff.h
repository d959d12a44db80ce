/*
 * sniff.h - what a payload's bytes are, when the start did not say or
 * said something the bytes contradict: PCM16 or G.711 mu-law.
 *
 * Audio is smooth: neighbouring samples are close compared with their
 * size.  Read in the wrong codec, the same bytes are noise.  So each
 * reading's roughness (mean |x[i] - x[i-1]| over mean |x[i]|) is
 * measured; one clearly smooth reading against one clearly rough one
 * decides.  Anything else (silence, noise, a short payload) is unsure.
 */
#ifndef SNIFF_H
#define SNIFF_H

#include <stddef.h>

/* C_PCM16, C_MULAW (proto.h), or -1 when unsure.  p is borrowed. */
int sniff_codec(const unsigned char *p, size_t n);

#endif
