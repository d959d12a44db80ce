/*
 * evloop.h - the event loop under libwebsockets (see evloop.c).
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <libwebsockets.h>

/*
 * lws_create_context(ci) on a libev epoll loop, else on lws's poll loop
 * (one warning, only when the poll loop then starts).  NULL: neither.
 */
struct lws_context *evloop_context(struct lws_context_creation_info *ci);
/*
 * For the lws log emitter: 1 when evloop took the line (lws's lines while
 * the libev loop is tried, kept for the one warning), 0 to log it.
 */
int evloop_log(int level, const char *line, size_t len);
/* Run until srv.done: 0, or -1 when the loop failed first. */
int evloop_run(struct lws_context *ctx);
/* After lws_context_destroy(): free the loop. */
void evloop_free(void);

#endif
