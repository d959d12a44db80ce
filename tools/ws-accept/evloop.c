/*
 * evloop.c - the event loop under libwebsockets: libev on epoll when
 * Debian's lws event-library plugin is there, else lws's own poll().
 *
 * Why: lws's default loop calls poll() on every descriptor it holds, and
 * each call holds three (socket, handler stdin, handler stdout).  A call
 * sends 50 messages a second, so the poll loop's cost per message grows
 * with the number of calls: measured at 100 calls, half of ws-accept's CPU
 * was the kernel walking the poll set (sock_poll, pipe_poll, fdget).  With
 * epoll a wake-up costs the same at 500 calls as at 5.
 */
#include <ev.h>
#include <stdio.h>
#include <string.h>

#include "evloop.h"
#include "msg.h"
#include "server.h"

static struct ev_loop *loop;	/* owned; NULL: lws's own poll loop */
static ev_check done_check;
static int trying;		/* the libev context is being made */
static char why[200];		/* lws's last error line meanwhile */

int
evloop_log(int level, const char *line, size_t len)
{
	if (!trying)
		return 0;
	/* Said once, as the reason of our own warning, if poll then works. */
	if (level & LLL_ERR)
		snprintf(why, sizeof why, "%.*s", (int)len, line);
	debug("lws: %.*s", (int)len, line);
	return 1;
}

/* After every loop turn: leave once srv.done is set (see server.h). */
static void
done_cb(struct ev_loop *l, ev_check *w, int revents)
{
	(void)w;
	(void)revents;
	if (srv.done)
		ev_break(l, EVBREAK_ALL);
}

struct lws_context *
evloop_context(struct lws_context_creation_info *ci)
{
	struct lws_context *ctx;
	void *foreign[1];

	if ((loop = ev_loop_new(EVBACKEND_EPOLL)) != NULL) {
		foreign[0] = loop;
		ci->options |= LWS_SERVER_OPTION_LIBEV;
		ci->foreign_loops = foreign;
		trying = 1;
		ctx = lws_create_context(ci);
		trying = 0;
		ci->options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
		ci->foreign_loops = NULL;
		if (ctx != NULL) {
			debug("event loop: libev epoll");
			return ctx;
		}
		ev_loop_destroy(loop);
		loop = NULL;
		/*
		 * Warn only when poll works: if it fails too, the cause was
		 * not the plugin, and the caller says why the start failed.
		 */
		if ((ctx = lws_create_context(ci)) != NULL)
			warnx_("libev event loop unavailable (%s): using poll, "
			    "which costs more per call; install "
			    "libwebsockets-evlib-ev", why[0] ? why :
			    "lws gave no reason");
		return ctx;
	}
	return lws_create_context(ci);
}

int
evloop_run(struct lws_context *ctx)
{
	if (loop == NULL) {
		while (!srv.done)
			if (lws_service(ctx, 0) < 0)
				return -1;
		return 0;
	}
	ev_check_init(&done_check, done_cb);
	ev_check_start(loop, &done_check);
	ev_unref(loop);		/* the check alone must not keep it running */
	ev_run(loop, 0);
	return srv.done ? 0 : -1;
}

void
evloop_free(void)
{
	if (loop == NULL)
		return;
	ev_ref(loop);
	ev_check_stop(loop, &done_check);
	ev_loop_destroy(loop);
	loop = NULL;
}
