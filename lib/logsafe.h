/*
 * logsafe.h - the one escaping helper for values that came from a caller
 * (paths, JWT claims, interaction ids, custom parameters, ...) before they
 * go into a log line.  Every tool uses it: a newline in an id must never
 * start a forged log line, and a terminal escape must never reach the
 * operator's terminal.
 */
#ifndef LOGSAFE_H
#define LOGSAFE_H

#include <stddef.h>

/*
 * Copy s (borrowed) into buf (len bytes) as one key=value word: every byte
 * that could split or fake a log line or a word (controls, space, '"',
 * '=', '\\', DEL, and bytes >= 0x80) is written as \xHH; "-" for an
 * empty string.  Truncated to fit (never mid-escape).  Returns buf.
 */
const char *logsafe(const char *s, char *buf, size_t len);

/*
 * The same for text that is several key=value words of one line: only
 * control bytes, DEL, '\\' and bytes >= 0x80 are escaped.
 */
const char *logsafe_line(const char *s, char *buf, size_t len);

/* Room for a logsafe copy of an n-byte value (4 bytes per escaped byte). */
#define LOGSAFE_SIZE(n) (4 * (n) + 1)

#endif
