/*
 * logsafe.c - see logsafe.h.  Paths and JWT claims come from callers: a
 * decoded "%0a" in a path must not start a new log line.
 */
#include "logsafe.h"

/* Copy s into buf; bytes that would break the line become '_'; "-" when empty. */
static const char *
copy_safe(const char *s, char *buf, size_t len, int keep_words)
{
	size_t n = 0;

	if (len == 0)
		return "";
	for (; *s && n + 1 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		int bad = ch < ' ' || ch == 0x7f ||
		    (!keep_words && (ch == ' ' || ch == '"' || ch == '='));

		buf[n++] = bad ? '_' : (char)ch;
	}
	if (n == 0 && len > 1)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

const char *
logsafe(const char *s, char *buf, size_t len)
{
	return copy_safe(s, buf, len, 0);
}

const char *
logsafe_line(const char *s, char *buf, size_t len)
{
	return copy_safe(s, buf, len, 1);
}
