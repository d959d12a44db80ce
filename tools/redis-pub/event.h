/*
 * event.h - the event lines of -E FD (exotel-decode's start, dtmf, mark
 * and stop, one compact JSON object a line), parsed with libjq.
 */
#ifndef EVENT_H
#define EVENT_H

#include <jq.h>

#include "buf.h"

/* A line longer than this is not an event; it is reported and skipped. */
#define EVENT_MAX (1024 * 1024)

struct evreader {
	int fd;			/* -1 once at end of file, or when not used */
	struct buf line;	/* the partial line; owned */
	unsigned long lineno;
	int skipping;		/* inside a line longer than EVENT_MAX */
};

void ev_init(struct evreader *r, int fd);

/*
 * Read what the descriptor has (one read: call it when poll() says so)
 * and give every complete line that is a JSON object to fn, which
 * consumes it.  Lines that are not are reported with their number and
 * skipped: events are the call's metadata, never a reason to stop its
 * audio.  At end of file (or a read error) a last unterminated line is
 * handled too and r->fd becomes -1.
 */
void ev_read(struct evreader *r, void (*fn)(jv, void *), void *arg);

void ev_free(struct evreader *r);

#endif
