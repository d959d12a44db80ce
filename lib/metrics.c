/*
 * metrics.c - see metrics.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "num.h"

#define SERIES_MAX 64

static struct series {
	char name[METRICS_LINE_MAX - 32];
	double value, flushed;
} series[SERIES_MAX];
static int nseries;
static int fd = -2;	/* -2: not looked up yet; -1: none */

void
metrics_add(const char *name, double v)
{
	int i;

	for (i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0)
			break;
	if (i == nseries) {
		if (nseries == SERIES_MAX ||
		    strlen(name) >= sizeof series[0].name)
			return;
		snprintf(series[nseries++].name, sizeof series[0].name, "%s",
		    name);
	}
	series[i].value += v;
}

static int
metrics_fd(void)
{
	const char *v;
	long long n;

	if (fd != -2)
		return fd;
	fd = -1;
	if ((v = env_get("METRICS_FD")) != NULL &&
	    parse_long(v, 3, 1 << 20, &n) == 0 && fcntl((int)n, F_GETFD) >= 0)
		fd = (int)n;
	return fd;
}

void
metrics_flush(void)
{
	char line[METRICS_LINE_MAX];
	int i, n, out = metrics_fd();

	if (out < 0)
		return;
	for (i = 0; i < nseries; i++) {
		struct series *s = &series[i];

		if (s->value == s->flushed)
			continue;
		n = snprintf(line, sizeof line, "%s %.17g\n", s->name,
		    s->value - s->flushed);
		if (n <= 0 || (size_t)n >= sizeof line)
			continue;
		/* O_NONBLOCK is on the open file, set by ws-accept. */
		if (write(out, line, (size_t)n) != n && errno != EINTR)
			return;
		s->flushed = s->value;
	}
}
