/*
 * buf.h - a growable byte buffer: appended at the back, consumed from the
 * front.  The buffer owns its bytes; callers borrow b->p only until the
 * next call that may grow or consume it.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char *p;	/* owned; NULL until the first append */
	size_t len, cap;
};

/* Make room for n more bytes.  0, or -1 when out of memory (b unchanged). */
int buf_reserve(struct buf *b, size_t n);
/* Append n bytes of d (borrowed).  0, or -1 when out of memory. */
int buf_append(struct buf *b, const void *d, size_t n);

/*
 * The same for builders that cannot go on without memory: they exit
 * EXIT_SYSTEM with a message instead of returning an error.
 */
void buf_add(struct buf *b, const void *d, size_t n);
void buf_adds(struct buf *b, const char *s);
/* Append s (borrowed, NUL-terminated) escaped as the inside of a JSON string. */
void buf_add_json(struct buf *b, const char *s);
/* Append an unsigned decimal number. */
void buf_add_u64(struct buf *b, unsigned long long v);

/* Drop the first n bytes (all of them when n >= len). */
void buf_consume(struct buf *b, size_t n);
/* Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

#endif
