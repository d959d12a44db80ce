/*
 * logsafe.c - see logsafe.h.  Escapes rather than replaces, so what a
 * caller really sent can be read back from the log.
 */
#include "logsafe.h"

static const char *
copy_safe(const char *s, char *buf, size_t len, int keep_words)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (len == 0)
		return "";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int bad = ch < ' ' || ch >= 0x7f || ch == '\\' ||
		    (!keep_words && (ch == ' ' || ch == '"' || ch == '='));

		if (!bad) {
			if (n + 1 >= len)
				break;
			buf[n++] = (char)ch;
			continue;
		}
		if (n + 4 >= len)
			break;
		buf[n++] = '\\';
		buf[n++] = 'x';
		buf[n++] = hex[ch >> 4];
		buf[n++] = hex[ch & 15];
	}
	if (n == 0 && len > 1)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

const char *
logsafe(const char *s, char *buf, size_t len)
{
	return copy_safe(s ? s : "", buf, len, 0);
}

const char *
logsafe_line(const char *s, char *buf, size_t len)
{
	return copy_safe(s ? s : "", buf, len, 1);
}
