/*
 * msg.h - one message format and one exit-status table for every tool.
 *
 * Lines go to stderr as "name: level: text[: strerror]", one event a line,
 * with stable key=value words so a log processor can split them.  No
 * timestamps: the supervisor's logger adds them.
 */
#ifndef MSG_H
#define MSG_H

#include <stdarg.h>

/* The exit-status table shared by all tools (DESIGN.md, "Contracts"). */
enum {
	EXIT_OK = 0,
	EXIT_BADINPUT = 1,	/* the input was bad */
	EXIT_USAGE = 100,	/* usage error */
	EXIT_SYSTEM = 111,	/* system or peer failure */
	EXIT_NOEXEC = 126,	/* handler found but could not be run */
	EXIT_NOTFOUND = 127	/* handler not found */
};

/* Set once from main; borrowed, must outlive the program (argv[0] does). */
extern const char *progname;

/*
 * Log context prepended to every line after the level, e.g. "call=abc ".
 * msg_init() reads CALL_ID from the environment so every process of a call
 * tags its lines with the same id.  Verbosity: 0 quiet (warnings and
 * fatals only), 1 normal (info), 2 debug.
 */
extern int msg_verbosity;
void msg_init(const char *argv0);

void fatal(int status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
/* Like fatal(), with ": strerror(errno)" appended. */
void fatal_sys(int status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "usage: <text>" to stderr and exit EXIT_USAGE. */
void usage_exit(const char *usage) __attribute__((noreturn));

#endif
