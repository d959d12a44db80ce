/*
 * output.c - PCM out, gathered or in whole blocks.  See output.h.
 */
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "msg.h"
#include "output.h"

void
out_init(struct output *o, int fd, size_t blksize)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->blocked = blksize > 0;
	o->size = blksize ? blksize : OUT_GATHER;
	if ((o->buf = malloc(o->size)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate %zu bytes", o->size);
}

void
out_free(struct output *o)
{
	free(o->buf);
	o->buf = NULL;
}

/* Write n bytes of p, counting them when they went out. */
static int
put(struct output *o, const void *p, size_t n)
{
	if (write_all(o->fd, p, n) < 0)
		return -1;
	o->written += n;
	return 0;
}

int
out_flush(struct output *o)
{
	size_t n = o->fill;

	o->fill = 0;
	return n ? put(o, o->buf, n) : 0;
}

int
out_drain(struct output *o)
{
	return o->blocked ? 0 : out_flush(o);
}

int
out_direct(struct output *o, const void *p, size_t n)
{
	if (out_drain(o) < 0)
		return -1;
	return write_all(o->fd, p, n);
}

/* Queue n bytes of src, or of zeros when src is NULL. */
static int
queue(struct output *o, const unsigned char *src, size_t n)
{
	size_t k;

	o->bytes += n;
	while (n > 0) {
		/* Whole buffers straight from the source need no copy. */
		if (o->fill == 0 && src && n >= o->size) {
			k = o->blocked ? o->size : n;
			if (put(o, src, k) < 0)
				return -1;
			src += k;
			n -= k;
			continue;
		}
		k = o->size - o->fill;
		if (k > n)
			k = n;
		if (src) {
			memcpy(o->buf + o->fill, src, k);
			src += k;
		} else
			memset(o->buf + o->fill, 0, k);
		o->fill += k;
		n -= k;
		if (o->fill == o->size && out_flush(o) < 0)
			return -1;
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
