/*
 * events.h - the event lines: one compact JSON object a line, in the
 * internal form of DESIGN.md (start, dtmf, mark, stop), each naming its
 * stream_sid and track.
 *
 * Our own pipe to a chained child is never waited on (nobody may read it
 * yet): every line is at most PIPE_BUF bytes, so a write puts all of it
 * or nothing, and every event but the stop leaves EV_STOP_ROOM bytes of
 * the pipe free, so the stop always fits.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <jv.h>

#include "proto.h"

/* The longest stop line (four ids of FIELD_MAX bytes and the counts). */
#define EV_STOP_ROOM 2048

struct events {
	int fd;			/* -1: events are not wanted */
	int nonblock;		/* our own pipe: drop rather than wait */
	const char *track;	/* whose pipe, for log lines (static text) */
	int broken;		/* the reader went away; stop trying */
	unsigned long dropped;	/* events that found no room */
};

enum { D_DUPLICATE, D_LATE, D_ODD_BYTE, D_READER_GONE, D_NREASONS };
extern const char *const drop_names[D_NREASONS];

/* Per-track counts for the stop event. */
struct trackstats {
	unsigned long long chunks, samples, ms, gaps, gap_ms, dups, late, bad;
	unsigned long long bytes;		/* payload bytes received */
	unsigned long long dropped[D_NREASONS];	/* bytes, by reason */
	unsigned long long dropped_ms;
};

/*
 * Write obj (consumed) as one line.  stop: the stop event, which may use
 * the room kept for it (and waits up to a second for it on our pipe).
 * Returns 0, or -1 when the line was dropped (logged, counted).
 */
int ev_emit(struct events *ev, jv obj, int stop);

/*
 * Event objects; c is borrowed, the results are owned by the caller.
 * ev_dtmf consumes digit and duration (null: none), ev_mark name; ms is
 * the position in the track's PCM.
 */
jv ev_start(const struct call *c, int track, int codec, unsigned rate);
jv ev_dtmf(const struct call *c, int track, jv digit, jv duration,
    unsigned long long ms);
jv ev_mark(const struct call *c, int track, jv name, unsigned long long ms);
jv ev_stop(const struct call *c, int track, const char *reason,
    const struct trackstats *st);

#endif
