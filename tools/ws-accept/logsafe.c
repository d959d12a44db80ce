/*
 * logsafe.c - see logsafe.h.  Paths and JWT claims come from callers: a
 * decoded "%0a" in a path must not start a new log line.
 */
#include "logsafe.h"

const char *
logsafe(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return "";
	for (; *s && n + 1 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		buf[n++] = ch <= ' ' || ch == '"' || ch == '=' || ch == 0x7f ?
		    '_' : (char)ch;
	}
	if (n == 0 && len > 1)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}
