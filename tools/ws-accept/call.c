/*
 * call.c - a call's lifecycle (callstate.h): born at an accepted upgrade,
 * closed by either side, a limit or the drain, and freed once the caller's
 * connection, the handler and both pipes are all gone, in whatever order
 * those end.  The per-second tick enforces the timeouts and ends handlers
 * that outlive their caller.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "callstate.h"
#include "counters.h"
#include "logsafe.h"
#include "msg.h"
#include "server.h"
#include "spawnchild.h"

/* A close the caller never lets us send is forced after this. */
#define CLOSE_WAIT_S 10

static void
make_id(char *out, size_t len)
{
	unsigned char r[8];
	static unsigned long long counter;
	size_t i;

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != sizeof r) {
		/* Not unique across restarts, but unique in this process. */
		snprintf(out, len, "%08x%08llx", (unsigned)getpid(), ++counter);
		return;
	}
	for (i = 0; i < sizeof r && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

struct call *
call_new(const struct handshake *hs)
{
	struct call *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	make_id(c->id, sizeof c->id);
	c->hs = *hs;
	c->in_fd = -1;
	c->status = -1;
	c->t_start = c->t_last_media = mono_s();
	c->next = srv.calls;
	if (srv.calls)
		srv.calls->prev = c;
	srv.calls = c;
	srv.ncalls++;
	counters.active = srv.ncalls;
	return c;
}

/* Close an adopted descriptor from outside its own callbacks. */
void
kill_wsi(struct lws *wsi)
{
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void
close_stdin(struct call *c)
{
	if (c->in_wsi && !c->in_closing) {
		c->in_closing = 1;
		kill_wsi(c->in_wsi);
	}
}

void
call_close(struct call *c, int code, const char *reason, int now)
{
	if (c->ws == NULL || c->close_code)
		return;
	c->close_code = code;
	c->close_now = now;
	c->t_close_req = mono_s();
	snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
	if (now)
		free_queue(c);
	lws_callback_on_writable(c->ws);
}

void
call_ws_closed(struct call *c)
{
	double now = mono_s();

	c->ws = NULL;
	c->ended_code = c->close_code ? c->close_code :
	    c->peer_code ? c->peer_code : 1006;
	free_queue(c);
	c->stalled = 0;
	input_end(c);
	/* The handler gets its stdin's EOF and drain_s to finish its work. */
	c->t_term_at = now + (srv.ending ? KILL_GRACE : srv.cfg.drain_s);
	if (c->out_paused && c->out_wsi) {
		c->out_paused = 0;
		lws_rx_flow_control(c->out_wsi, 1);
	}
	call_check_end(c);
}

/* How c ended, for ws_accept_calls_ended_total. */
static enum end_reason
end_reason(const struct call *c)
{
	if (c->status > 0)
		return END_HANDLER_FAILED;
	switch (c->ended_code) {
	case 1000:
		return END_NORMAL;
	case 1001:
		return END_SHUTDOWN;
	case 1003:
		return END_BINARY_REFUSED;
	case 1006:
		return END_CALLER_DROPPED;
	case 1008:
		return strstr(c->close_reason, "idle") ? END_IDLE :
		    END_MAX_DURATION;
	case 1009:
		return END_MESSAGE_TOO_BIG;
	case 1011:
		return END_SERVER_ERROR;
	default:
		/* The caller closed with its own code. */
		return END_NORMAL;
	}
}

static void
call_free(struct call *c)
{
	int st = c->status;

	counters.ended[end_reason(c)]++;
	/* A call that failed is a warning; one that ended well, info. */
	(st != 0 ? warnx_ : info)("call=%s ended duration=%.1f messages=%llu "
	    "bytes=%llu sent=%llu "
	    "stalls=%llu status=%d close=%d", c->id, mono_s() - c->t_start,
	    c->msgs_in, c->bytes_in, c->msgs_out, c->stalls, st,
	    c->ended_code);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv.calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv.ncalls--;
	counters.active = srv.ncalls;
	mfeed_detach(c);
	buf_free(&c->in);
	buf_free(&c->line.part);
	buf_free(&c->ctl);
	free_queue(c);
	free(c);
	if (srv.ending && srv.ncalls == 0)
		lws_cancel_service(srv.ctx);
}

/*
 * Moves the call on once one side is done: a reaped handler closes its
 * stdin and, once its stdout is drained too, the caller (1000 or 1011);
 * with everything closed the call is freed.  May free c.
 */
void
call_check_end(struct call *c)
{
	char why[64];

	if (c->pid == 0 && c->status >= 0) {
		close_stdin(c);
		if (c->out_wsi == NULL && c->ws && !c->close_code) {
			snprintf(why, sizeof why, "handler exited status=%d",
			    c->status);
			call_close(c, c->status == 0 ? 1000 : 1011, why, 0);
		}
	}
	if (c->ws == NULL && c->pid == 0 && c->in_wsi == NULL &&
	    c->out_wsi == NULL)
		call_free(c);
}

int
call_reaped(pid_t pid, int ws)
{
	struct call *c;

	for (c = srv.calls; c; c = c->next)
		if (c->pid == pid)
			break;
	if (c == NULL)
		return 0;
	c->pid = 0;
	c->status = wait_status_code(ws);
	c->t_exit = mono_s();
	counters.exits[c->status & 255]++;
	if (c->status != 0)
		warnx_("call=%s handler pid=%d status=%d", c->id, (int)pid,
		    c->status);
	call_check_end(c);
	return 1;
}

static void
call_tick(struct call *c, double now)
{
	if (c->ws && !c->close_code) {
		if (srv.ending) {
			call_close(c, 1001, "server shutting down", 1);
		} else if (srv.cfg.idle_s &&
		    now - c->t_last_media >= srv.cfg.idle_s) {
			info("call=%s idle timeout (no media) seconds=%d", c->id,
			    srv.cfg.idle_s);
			counters.closes_idle++;
			call_close(c, 1008, "idle timeout", 1);
			input_end(c);
		} else if (srv.cfg.max_call_s &&
		    now - c->t_start >= srv.cfg.max_call_s) {
			info("call=%s max call duration seconds=%d", c->id,
			    srv.cfg.max_call_s);
			counters.closes_maxcall++;
			call_close(c, 1008, "max call duration", 1);
			input_end(c);
		}
	} else if (c->ws && now - c->t_close_req >= CLOSE_WAIT_S) {
		/* The caller does not read: drop the connection. */
		lws_set_timeout(c->ws, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
	if (c->pid && c->ws == NULL) {
		if (srv.ending && c->t_term_at > srv.drain_end + KILL_GRACE)
			c->t_term_at = srv.drain_end + KILL_GRACE;
		if (!c->term_sent && now >= c->t_term_at) {
			info("call=%s handler still running after the caller "
			    "left: SIGTERM pgrp=%d", c->id, (int)c->pid);
			kill(-c->pid, SIGTERM);
			c->term_sent = 1;
			c->t_kill_at = now + KILL_GRACE;
		} else if (c->term_sent && !c->kill_sent &&
		    now >= c->t_kill_at) {
			warnx_("call=%s handler ignored SIGTERM: SIGKILL pgrp=%d",
			    c->id, (int)c->pid);
			kill(-c->pid, SIGKILL);
			c->kill_sent = 1;
		}
	}
	if (c->pid == 0 && c->out_wsi && !c->out_closing &&
	    now - c->t_exit >= STDOUT_GRACE) {
		/* Something the handler started still holds its stdout. */
		c->out_closing = 1;
		kill_wsi(c->out_wsi);
	}
}

void
call_tick_all(double now)
{
	struct call *c, *next;

	for (c = srv.calls; c; c = next) {
		next = c->next;
		call_tick(c, now);
	}
}
