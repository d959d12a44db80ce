/*
 * buf.h - a growable byte buffer, consumed from the front.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	unsigned char *p;	/* owned; NULL when empty and never grown */
	size_t len, cap;
};

/* Append n bytes of d (borrowed).  0, or -1 when out of memory. */
int buf_append(struct buf *b, const void *d, size_t n);
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

#endif
