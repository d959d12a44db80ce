/*
 * pcm.c - G.711 mu-law and WAV header.  See pcm.h.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcm.h"

int16_t
ulaw_to_pcm16(uint8_t u)
{
	int t;

	/* G.711: complement, then sign, 3-bit exponent, 4-bit mantissa. */
	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

uint8_t
pcm16_to_ulaw(int16_t s)
{
	static const int seg_end[8] = {
		0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff
	};
	int v = s >> 2, mask, seg;

	/* The 14-bit form of the Sun/ITU reference encoder. */
	if (v < 0) {
		v = -v;
		mask = 0x7f;
	} else
		mask = 0xff;
	if (v > 8159)
		v = 8159;
	v += 0x84 >> 2;
	for (seg = 0; seg < 8; seg++)
		if (v <= seg_end[seg] >> 2)
			break;
	if (seg == 8)		/* past the last segment: the largest code */
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)((seg << 4 | ((v >> (seg + 1)) & 0x0f)) ^ mask);
}

void
ulaw_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	static int16_t table[256];
	static int ready;
	size_t i;

	if (!ready) {
		for (i = 0; i < 256; i++)
			table[i] = ulaw_to_pcm16((uint8_t)i);
		ready = 1;
	}
	for (i = 0; i < n; i++)
		le16_put(out + 2 * i, table[in[i]]);
}

static void
le32_put(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	p[2] = v >> 16 & 0xff;
	p[3] = v >> 24;
}

void
wav_header(uint8_t h[WAV_HEADER_LEN], unsigned rate)
{
	memcpy(h, "RIFF", 4);
	le32_put(h + 4, 0xffffffffu);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32_put(h + 16, 16);		/* fmt chunk size */
	h[20] = 1, h[21] = 0;		/* PCM */
	h[22] = 1, h[23] = 0;		/* mono */
	le32_put(h + 24, rate);
	le32_put(h + 28, rate * 2);	/* byte rate */
	h[32] = 2, h[33] = 0;		/* block align */
	h[34] = 16, h[35] = 0;		/* bits per sample */
	memcpy(h + 36, "data", 4);
	le32_put(h + 40, 0xffffffffu - 36);
}

int
wav_set_length(int fd, long long header_at, unsigned long long n)
{
	struct stat st;
	uint8_t len[4];
	int fl;

	if (header_at < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fl = fcntl(fd, F_GETFL)) < 0 || (fl & O_APPEND))
		return 0;
	if (n > 0xffffffffu - 36)	/* over 4 GiB: the streaming sizes stay */
		return 0;
	le32_put(len, (uint32_t)(n + 36));
	if (pwrite(fd, len, 4, header_at + 4) != 4)
		return -1;
	le32_put(len, (uint32_t)n);
	if (pwrite(fd, len, 4, header_at + 40) != 4)
		return -1;
	return 0;
}

void
ulaw_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = pcm16_to_ulaw(le16_get(in + 2 * i));
}
