/*
 * frame.h - where a message ends when it spans lines (pretty-printed):
 * brackets are counted outside strings, so the message is gathered whole
 * before it is checked and parsed.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>

struct frame {
	int depth;		/* brackets open */
	int begun;		/* a non-blank character was seen */
};

void frame_reset(struct frame *f);

/*
 * Follow one more line (p, n bytes, borrowed) of a message.  Returns 1
 * when the message ends with this line (its brackets are closed, or it is
 * not an object or array at all), 0 when it goes on.  JSON strings cannot
 * span lines: each line starts outside one.
 */
int frame_line(struct frame *f, const char *p, size_t n);

#endif
