/*
 * buf.c - growable byte buffer.  See buf.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

void
buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate %zu bytes", cap);
	b->p = p;
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
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
	char num[24];
	int n;

	n = snprintf(num, sizeof num, "%llu", v);
	buf_add(b, num, (size_t)n);
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
