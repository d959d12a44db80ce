/*
 * sink.h - where resample(1) puts converted samples: a byte buffer in
 * front of stdout that counts what it passed on and can be capped, so the
 * output is exactly round(N * out / in) samples whatever the engine did.
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>

#define SINK_BYTES 32768

struct sink {
	int fd;
	uint64_t emitted;	/* samples accepted so far */
	uint64_t limit;		/* accept no more (UINT64_MAX: no cap yet) */
	size_t used;		/* bytes waiting in buf */
	uint8_t buf[SINK_BYTES];
};

void sink_init(struct sink *sk, int fd);

/* Queue n samples (borrowed), dropping what goes past the limit. */
void sink_put(struct sink *sk, const int16_t *s, size_t n);

/* Queue n samples of silence (same limit). */
void sink_zeros(struct sink *sk, uint64_t n);

/* Queue raw bytes (the same-rate copy); n must be even. */
void sink_bytes(struct sink *sk, const uint8_t *p, size_t n);

/*
 * Write everything queued.  A write error (EPIPE, ENOSPC, ...) is
 * reported and exits EXIT_SYSTEM: a filter never goes on after losing
 * output.
 */
void sink_flush(struct sink *sk);

#endif
