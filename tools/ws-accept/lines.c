/*
 * lines.c - a byte stream cut into lines.  See lines.h.
 */
#include <string.h>

#include "lines.h"

int
lines_feed(struct lines *l, const char *s, size_t n, size_t max,
    void (*line)(void *, const char *, size_t), void (*too_long)(void *),
    void *ctx)
{
	const char *nl;
	size_t k;

	while ((nl = memchr(s, '\n', n)) != NULL) {
		k = (size_t)(nl - s);
		if (l->skipping) {
			/* The end of a line too long to pass on: gone. */
			l->skipping = 0;
		} else if (l->part.len + k > max) {
			l->part.len = 0;
			too_long(ctx);
		} else if (l->part.len) {
			if (buf_append(&l->part, s, k) < 0)
				return -1;
			line(ctx, l->part.p, l->part.len);
			l->part.len = 0;
		} else {
			line(ctx, s, k);
		}
		s += k + 1;
		n -= k + 1;
	}
	if (n && !l->skipping) {
		if (l->part.len + n > max) {
			l->part.len = 0;
			l->skipping = 1;
			too_long(ctx);
		} else if (buf_append(&l->part, s, n) < 0) {
			return -1;
		}
	}
	return 0;
}
