/*
 * msg.c - stderr messages in one format ("name: level: call=ID text"),
 * and the fatal exits.  See msg.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

const char *progname = "?";
int msg_verbosity = 1;
static char callctx[160];	/* "call=ID " or "" */

void
msg_init(const char *argv0)
{
	const char *slash, *id, *v;

	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
	id = getenv("CALL_ID");
	if (id && *id)
		snprintf(callctx, sizeof callctx, "call=%.128s ", id);
	v = getenv("LOG_LEVEL");
	if (v) {
		if (!strcmp(v, "quiet") || !strcmp(v, "warning") || !strcmp(v, "0"))
			msg_verbosity = 0;
		else if (!strcmp(v, "debug") || !strcmp(v, "2"))
			msg_verbosity = 2;
	}
}

/*
 * One write(2) per line so lines from the processes of a call sharing one
 * stderr do not interleave mid-line.
 */
static void
emit(const char *level, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	int n, m;

	n = snprintf(line, sizeof line, "%s: %s: %s", progname, level, callctx);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	m = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (m > 0)
		n = (size_t)(n + m) >= sizeof line - 1 ? (int)sizeof line - 2 : n + m;
	if (errnum)
		n += snprintf(line + n, sizeof line - n, ": %s", strerror(errnum));
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	/* Nothing useful can be done if stderr fails. */
	if (write(2, line, n) < 0)
		return;
}

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatal_sys(int status, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	emit("fatal", e, fmt, ap);
	va_end(ap);
	exit(status);
}

void
warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", 0, fmt, ap);
	va_end(ap);
}

void
warn_sys(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	emit("warning", e, fmt, ap);
	va_end(ap);
}

void
info(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbosity < 1)
		return;
	va_start(ap, fmt);
	emit("info", 0, fmt, ap);
	va_end(ap);
}

void
debug(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbosity < 2)
		return;
	va_start(ap, fmt);
	emit("debug", 0, fmt, ap);
	va_end(ap);
}

void
usage_exit(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(EXIT_USAGE);
}
