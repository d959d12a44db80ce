/*
 * logline.h - the event logs the test helpers write for the shell tests
 * to read: one line a write(2), after a fixed prefix, cut at 1 KiB.
 * Header-only, like jwt-sign.h.
 */
#ifndef LOGLINE_H
#define LOGLINE_H

#include <stdarg.h>
#include <stdio.h>

#include "io.h"
#include "msg.h"

/*
 * Write prefix (borrowed; "" for none), then fmt and ap formatted, then a
 * newline to fd.  Exits 111 when fd cannot be written.
 */
static void
logline_v(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n, k;

	k = snprintf(line, sizeof line - 2, "%s", prefix);
	if (k < 0 || (size_t)k > sizeof line - 2)
		k = (int)sizeof line - 2;
	n = vsnprintf(line + k, sizeof line - (size_t)k - 1, fmt, ap);
	if (n < 0)
		return;
	n += k;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write_all(fd, line, (size_t)n) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write the log");
}

#endif
