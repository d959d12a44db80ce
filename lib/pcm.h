/*
 * pcm.h - PCM16LE helpers: G.711 mu-law, little-endian access, WAV headers.
 */
#ifndef PCM_H
#define PCM_H

#include <stddef.h>
#include <stdint.h>

/* G.711 mu-law byte to linear PCM16, exactly as ITU-T G.711 and sox. */
int16_t ulaw_to_pcm16(uint8_t u);
/* Linear PCM16 to G.711 mu-law (for tests and the replay client). */
uint8_t pcm16_to_ulaw(int16_t s);

/*
 * Decode n mu-law bytes from in (borrowed) into n PCM16LE samples
 * (2n bytes) at out.  in and out must not overlap.
 */
void ulaw_decode(const uint8_t *in, size_t n, uint8_t *out);

/*
 * Encode n PCM16LE samples (2n bytes) at in (borrowed) into n mu-law
 * bytes at out.  in and out may be the same buffer (out never passes in).
 */
void ulaw_encode(const uint8_t *in, size_t n, uint8_t *out);

static inline int16_t
le16_get(const uint8_t *p)
{
	return (int16_t)(p[0] | p[1] << 8);
}

static inline void
le16_put(uint8_t *p, int16_t v)
{
	p[0] = (uint8_t)((uint16_t)v & 0xff);
	p[1] = (uint8_t)((uint16_t)v >> 8);
}

/*
 * A 44-byte RIFF/WAVE header for mono PCM16 at rate.  Streaming: the
 * lengths are set to the maximum, since the total is not known when the
 * header is written (sox and aplay read such a stream to its end).
 */
#define WAV_HEADER_LEN 44
void wav_header(uint8_t out[WAV_HEADER_LEN], unsigned rate);

/*
 * When the header went to a seekable file (fd at offset header_at, not
 * O_APPEND), write the real lengths for data_bytes of PCM into it, so
 * tools that trust them (soxi) see the right duration.  A pipe, or
 * header_at < 0, is left alone.  0, or -1 with errno.
 */
int wav_set_length(int fd, long long header_at, unsigned long long data_bytes);

#endif
