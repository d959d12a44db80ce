/*
 * jsonvalid.h - is a buffer exactly one JSON value (RFC 8259)?  A syntax
 * check only, no allocation, iterative, so it can run before libjq on
 * untrusted input: libjq 1.6's jv_parse_sized leaks the pending string on
 * some syntax errors (20 bytes for {"alg"x"}, found by fuzz/jwt.c), which
 * a caller repeating bad input turns into unbounded growth.
 */
#ifndef JSONVALID_H
#define JSONVALID_H

#include <stddef.h>

/*
 * 1 when buf (len bytes, borrowed) is one JSON value with optional
 * whitespace around it, nested at most depth_max deep; else 0.
 */
int json_valid(const char *buf, size_t len, int depth_max);

#endif
