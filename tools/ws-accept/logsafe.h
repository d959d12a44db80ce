/*
 * logsafe.h - request data made safe for one log line.
 */
#ifndef LOGSAFE_H
#define LOGSAFE_H

#include <stddef.h>

/*
 * Copy s (borrowed) into buf (len bytes), with every byte that could
 * split or fake a log line or a key=value word (controls, space, '"',
 * '=', DEL) replaced by '_'; "-" for an empty string.  Returns buf.
 */
const char *logsafe(const char *s, char *buf, size_t len);

/*
 * The same for text that is several key=value words of one line: only
 * control bytes (a newline would start a fake line) become '_'.
 */
const char *logsafe_line(const char *s, char *buf, size_t len);

#endif
