/*
 * lines.h - a byte stream cut into lines, with a cap on their length:
 * what ws-accept reads from a handler's stdout (feed.c) and from a call's
 * METRICS_FD pipe (metricsfeed.c).
 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>

#include "buf.h"

struct lines {
	struct buf part;	/* owned: a line not yet ended; buf_free it */
	int skipping;		/* inside a line past the cap: dropped whole */
};

/*
 * Cut n bytes of s (borrowed) at each '\n', joined to what l holds from
 * the calls before.  A whole line of at most max bytes goes to
 * line(ctx, p, len), without its newline (p is borrowed for that call);
 * a line longer than max goes to too_long(ctx), once, as soon as its
 * length shows, and the rest of it up to its newline is dropped.  What
 * follows the last newline stays in l->part.  Returns 0, or -1 when out
 * of memory.
 */
int lines_feed(struct lines *l, const char *s, size_t n, size_t max,
    void (*line)(void *ctx, const char *p, size_t len),
    void (*too_long)(void *ctx), void *ctx);

#endif
