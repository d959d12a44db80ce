/*
 * buf.h - a growable byte buffer, for the frames and event lines redis-pub
 * builds.  The buffer owns its bytes; callers borrow b->p until the next
 * call that may grow it.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

/* Make room for n more bytes; exits EXIT_SYSTEM when memory runs out. */
void buf_reserve(struct buf *b, size_t n);
/* Append n bytes of s (borrowed). */
void buf_add(struct buf *b, const void *s, size_t n);
void buf_adds(struct buf *b, const char *s);
/* Append s (borrowed, NUL-terminated) as the inside of a JSON string. */
void buf_add_json(struct buf *b, const char *s);
/* Append an unsigned decimal number. */
void buf_add_u64(struct buf *b, unsigned long long v);
/* Free the bytes; the buffer may be used again afterwards. */
void buf_free(struct buf *b);

#endif
