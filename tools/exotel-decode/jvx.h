/*
 * jvx.h - libjq values read without surprises: member lookup that never
 * aborts (libjq 1.6 aborts on jv_object_get of a non-object), integers
 * through the one bounded parser, strings for log lines through logsafe.
 */
#ifndef JVX_H
#define JVX_H

#include <stddef.h>

#include <jv.h>

/*
 * Member k of o.  Borrows o; returns an owned value, jv_null() when o is
 * not an object or has no such member.
 */
jv jget(jv o, const char *k);

/*
 * Integer value of v (borrowed): a JSON number or a string of digits,
 * checked against [min, max] through parse_long.  Returns 1 and sets
 * *out, 0 when v is null, -1 when v is anything else or out of range.
 */
int jint(jv v, long long min, long long max, long long *out);

/*
 * A value (borrowed) for a log line: a string escaped by logsafe (the
 * caller sent it), "(kind)" for anything else.  Returns buf.
 */
const char *jshow(jv v, char *buf, size_t size);

/* Bytes of v's compact JSON text (v borrowed). */
size_t jdumplen(jv v);

/*
 * A string member k of o (borrowed) fit to pass on in an event or the
 * environment: numbers as their text, at most max bytes of JSON text, no
 * control characters.  Owned, or jv_invalid() when there is none.
 */
jv jtext(jv o, const char *k, size_t max);

#endif
