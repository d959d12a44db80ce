/*
 * buf.c - growable byte buffer.  See buf.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

int
buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *d, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

void
buf_add(struct buf *b, const void *d, size_t n)
{
	if (buf_append(b, d, n) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to allocate %zu bytes", b->len + n);
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_add_json(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];

	for (; *u; u++) {
		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			buf_add(b, esc, 2);
		} else if (*u < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", *u);
			buf_add(b, esc, 6);
		} else
			buf_add(b, u, 1);
	}
}

void
buf_add_u64(struct buf *b, unsigned long long v)
{
	char num[24], *p = num + sizeof num;

	/* By hand, not snprintf: redis-pub writes several a frame. */
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf_add(b, p, (size_t)(num + sizeof num - p));
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
