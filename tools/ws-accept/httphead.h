/*
 * httphead.h - checks on a request's head (request line and headers, up
 * to the blank line) before libwebsockets parses it.  lws 4.1.6 closes
 * the connection without a word on a head it cannot take (a header past
 * its buffer, Content-Length: -1, obs-fold, a NUL), so the caller would
 * wait for its own timeout; here each gets a status and a reason for the
 * log.  Pure functions: unit- and fuzz-tested (fuzz/httphead.c).
 */
#ifndef HTTPHEAD_H
#define HTTPHEAD_H

#include <stddef.h>

/*
 * Longest head taken, bytes: a JWT of 8 KiB plus the usual headers.  lws
 * is given more room than this (max_http_header_data), so it never runs
 * out on a head that passed.
 */
#define HTTPHEAD_MAX 12288

/*
 * Where the head in buf (len bytes, borrowed) ends: the offset just past
 * its blank line ("\r\n\r\n" or "\n\n"), or 0 when it has not all
 * arrived yet.
 */
size_t httphead_end(const char *buf, size_t len);

/*
 * Judge the head buf[0, len) (len from httphead_end).  Returns 0 when
 * lws may have it, else the HTTP status to answer (400, 431, 505) and a
 * fixed reason (never request data) in *why.
 */
int httphead_check(const char *buf, size_t len, const char **why);

#endif
