/*
 * events.h - the event lines of -e FD: one compact JSON object a line, in
 * the internal form of DESIGN.md (start, dtmf, mark, stop).
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <jv.h>

#include "call.h"
#include "timeline.h"

struct events {
	int fd;			/* -1: events are not wanted */
	int nonblock;		/* our own pipe: drop rather than block */
	int broken;		/* the reader went away; stop trying */
	unsigned long dropped;	/* events that found the pipe full */
};

/* Write obj (consumed) as one line.  Problems are logged, never fatal. */
void ev_emit(struct events *ev, jv obj);

/*
 * Event objects; c is borrowed, the results are owned by the caller.
 * ev_dtmf consumes digit and ev_mark name (strings); ms is the position
 * in the PCM written.
 */
jv ev_start(const struct call *c);
jv ev_dtmf(const struct call *c, jv digit, unsigned long long ms);
jv ev_mark(const struct call *c, jv name, unsigned long long ms);
jv ev_stop(const struct call *c, const char *reason,
    const struct timeline *tl);

#endif
