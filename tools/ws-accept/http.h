/*
 * http.h - HTTP responses on the WebSocket port.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include <libwebsockets.h>

/*
 * Write one whole response: status, Content-Type ctype, an optional extra
 * header (name with its colon, value; NULL for none) and body (borrowed,
 * len bytes).  0, or -1 when the connection failed.
 */
int http_reply(struct lws *wsi, unsigned status, const char *ctype,
    const char *hname, const char *hvalue, const char *body, size_t len);

/* The same with a JSON body {"error": msg}. */
int http_error(struct lws *wsi, unsigned status, const char *msg,
    const char *hname, const char *hvalue);

#endif
