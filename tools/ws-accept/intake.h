/*
 * intake.h - ws-accept's side of the pipeline metrics contract (lib/metrics.h):
 * each handler gets the write end of a pipe as METRICS_FD; every line a
 * process of the call writes there, "NAME VALUE" or "NAME{LABELS} VALUE",
 * is added to a running total of that series, shown in /metrics.
 *
 * A line is refused (one debug line, counted) unless NAME is
 * [a-z_][a-z0-9_]*, LABELS are well-formed Prometheus labels
 * (name="value", value escapes \\ \" \n only) and VALUE a finite number
 * >= 0, and NAME is not one of ws-accept's own (ws_accept_*,
 * ingest_build_info).  At most INTAKE_SERIES_MAX series: lines of new series past that
 * are refused too, so a handler cannot grow ws-accept without bound.
 */
#ifndef INTAKE_H
#define INTAKE_H

#include <stddef.h>

#include "metrics.h"	/* lib/metrics.h: METRICS_LINE_MAX */

#define INTAKE_SERIES_MAX 1000
/* The descriptor number METRICS_FD names in every handler. */
#define INTAKE_FD 63

/*
 * Add one line (without its newline; borrowed, n bytes).  0 when added,
 * -1 when refused (malformed, or the series cap).
 */
int intake_line(const char *line, size_t n);

/* Lines refused so far: [0] malformed, [1] past the series cap. */
extern unsigned long long intake_refused[2];

/*
 * The series in Prometheus text, each family with # HELP and # TYPE
 * (_total: counter; _bucket/_sum/_count with buckets: histogram; else
 * untyped), appended to out at *off (never past len).
 */
void intake_render(char *out, size_t len, size_t *off);

/* Drop every series (tests). */
void intake_reset(void);

#endif
