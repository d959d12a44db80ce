/*
 * metrics.h - a pipeline process's counters, on their way to ws-accept's
 * /metrics.
 *
 * The contract (ws-accept(1), METRICS_FD): ws-accept gives each call's
 * handler the write end of a pipe and names it in the environment as
 * METRICS_FD.  Any process of the pipeline may write lines
 *
 *	NAME VALUE\n		e.g. "ingest_frames_published_total 616"
 *	NAME{LABELS} VALUE\n	e.g. "ingest_frame_delay_seconds_bucket{le=\"0.005\"} 12"
 *
 * where NAME is [a-z_][a-z0-9_]*, LABELS are Prometheus labels and VALUE a
 * non-negative number; ws-accept ADDS each line to its running total of
 * that series.  Names ending in _total are counters; _bucket, _sum and
 * _count lines make histograms.  Each line is one write(2) of at most
 * METRICS_LINE_MAX bytes, so lines from the processes of a call never
 * interleave.  A process that was not given METRICS_FD writes nothing.
 *
 * Use: metrics_add() as things happen (cheap: a table in memory), then
 * metrics_flush() once at exit (and, for a long call, from time to time).
 * A flush writes the increments since the previous flush, so totals stay
 * right whatever the number of flushes.
 */
#ifndef METRICS_H
#define METRICS_H

#define METRICS_LINE_MAX 256

/*
 * Add v to the series name (borrowed; "name" or "name{labels}", at most
 * METRICS_LINE_MAX - 32 bytes; copied on first use).  At most 64 series a
 * process; more are ignored.
 */
void metrics_add(const char *name, double v);

/*
 * Write every series whose value grew since the last flush to METRICS_FD.
 * Never blocks (a full pipe loses this flush's lines, counted nowhere: the
 * reader is ws-accept's loop, which drains it at once).  Safe to call when
 * METRICS_FD is unset (does nothing).
 */
void metrics_flush(void);

#endif
