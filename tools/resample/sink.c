/*
 * sink.c - buffered, counted, capped output to stdout.  See sink.h.
 */
#include <string.h>

#include "io.h"
#include "msg.h"
#include "pcm.h"
#include "sink.h"

void
sink_init(struct sink *sk, int fd)
{
	sk->fd = fd;
	sk->emitted = 0;
	sk->limit = UINT64_MAX;
	sk->used = 0;
}

void
sink_flush(struct sink *sk)
{
	if (sk->used == 0)
		return;
	if (write_all(sk->fd, sk->buf, sk->used) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write to stdout");
	sk->used = 0;
}

/* How many of n more samples fit under the limit. */
static size_t
room(const struct sink *sk, uint64_t n)
{
	uint64_t left = sk->limit - sk->emitted;

	return (size_t)(n < left ? n : left);
}

void
sink_put(struct sink *sk, const int16_t *s, size_t n)
{
	size_t i, k;
	uint8_t *b;

	n = room(sk, n);
	sk->emitted += n;
	while (n > 0) {
		if (sk->used == sizeof sk->buf)
			sink_flush(sk);
		/* As many as fit, in one loop without a test per sample. */
		k = (sizeof sk->buf - sk->used) / 2;
		if (k > n)
			k = n;
		b = sk->buf + sk->used;
		for (i = 0; i < k; i++)
			le16_put(b + 2 * i, s[i]);
		sk->used += 2 * k;
		s += k;
		n -= k;
	}
}

void
sink_zeros(struct sink *sk, uint64_t n)
{
	size_t k;

	n = room(sk, n);
	sk->emitted += n;
	while (n > 0) {
		if (sk->used == sizeof sk->buf)
			sink_flush(sk);
		k = (sizeof sk->buf - sk->used) / 2;
		if (k > n)
			k = (size_t)n;
		memset(sk->buf + sk->used, 0, 2 * k);
		sk->used += 2 * k;
		n -= k;
	}
}

void
sink_bytes(struct sink *sk, const uint8_t *p, size_t n)
{
	size_t k;

	n = 2 * room(sk, n / 2);
	sk->emitted += n / 2;
	while (n > 0) {
		if (sk->used == sizeof sk->buf)
			sink_flush(sk);
		k = sizeof sk->buf - sk->used;
		if (k > n)
			k = n;
		memcpy(sk->buf + sk->used, p, k);
		sk->used += k;
		p += k;
		n -= k;
	}
}
