/*
 * output.c - PCM out, unblocked or in whole blocks.  See output.h.
 */
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "msg.h"
#include "output.h"

static const unsigned char zeros[8192];

void
out_init(struct output *o, int fd, size_t blksize)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->blksize = blksize;
	if (blksize && (o->blk = malloc(blksize)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate %zu bytes", blksize);
}

void
out_free(struct output *o)
{
	free(o->blk);
	o->blk = NULL;
}

int
out_direct(struct output *o, const void *p, size_t n)
{
	return write_all(o->fd, p, n);
}

/* Queue into the block; src NULL means zeros. */
static int
queue(struct output *o, const unsigned char *src, size_t n)
{
	size_t k;

	o->bytes += n;
	if (o->blksize == 0) {
		if (src)
			return write_all(o->fd, src, n);
		for (; n > 0; n -= k) {
			k = n < sizeof zeros ? n : sizeof zeros;
			if (write_all(o->fd, zeros, k) < 0)
				return -1;
		}
		return 0;
	}
	/* A whole block straight from the source needs no copy. */
	while (n > 0) {
		if (o->fill == 0 && src && n >= o->blksize) {
			if (write_all(o->fd, src, o->blksize) < 0)
				return -1;
			src += o->blksize;
			n -= o->blksize;
			continue;
		}
		k = o->blksize - o->fill;
		if (k > n)
			k = n;
		if (src) {
			memcpy(o->blk + o->fill, src, k);
			src += k;
		} else
			memset(o->blk + o->fill, 0, k);
		o->fill += k;
		n -= k;
		if (o->fill == o->blksize) {
			o->fill = 0;
			if (write_all(o->fd, o->blk, o->blksize) < 0)
				return -1;
		}
	}
	return 0;
}

int
out_pcm(struct output *o, const void *p, size_t n)
{
	return queue(o, p, n);
}

int
out_silence(struct output *o, size_t n)
{
	return queue(o, NULL, n);
}

int
out_flush(struct output *o)
{
	size_t n = o->fill;

	o->fill = 0;
	return n ? write_all(o->fd, o->blk, n) : 0;
}
