/*
 * callstate.h - one call's state: the caller's WebSocket, the handler
 * process and the two pipes between them, and how the call ends.  The
 * code is split by concern: call.c (lifecycle), handler.c (start-up),
 * feed.c (the data both ways), native.c (the native protocol's replies).
 *
 * A call lives from an accepted upgrade until the caller's connection is
 * gone, the handler has been reaped and both pipes are closed, whichever
 * order those happen in.  Every wsi pointer here stays set until lws
 * reports that wsi closed, so the call always outlives its callbacks.
 */
#ifndef CALLSTATE_H
#define CALLSTATE_H

#include <sys/types.h>

#include <libwebsockets.h>

#include "auth.h"
#include "buf.h"
#include "lines.h"

/* What was learned at the upgrade: copied, since lws frees the headers. */
struct handshake {
	char peer[64];		/* numeric address */
	int peer_port;
	char client[64];	/* behind a trusted proxy, the forwarded client */
	char path[256];
	char query[1024];	/* decoded arguments joined by '&' */
	int sample_rate;	/* from ?sample-rate=, or 0 */
	struct auth_result auth;
};

/* A text message queued for the caller; data has LWS_PRE bytes of room. */
struct outmsg {
	struct outmsg *next;
	size_t len;
	unsigned char data[];
};

struct call {
	struct call *next, *prev;
	char id[20];
	struct handshake hs;

	struct lws *ws;		/* the caller; NULL once lws closed it */
	struct lws *in_wsi;	/* handler's stdin (we write); NULL once closed */
	struct lws *out_wsi;	/* handler's stdout (we read); NULL once closed */
	int in_fd;
	int in_closing, out_closing;	/* asked lws to close that pipe */
	pid_t pid;		/* handler; 0 once reaped (or never started) */
	int status;		/* handler's exit status in the shared table, or -1 */

	/* Bytes for the handler: [0, ready) whole messages, then a partial one. */
	struct buf in;
	size_t ready;
	int in_partial;		/* inside a fragmented message */
	int in_binary;		/* the message being received is binary */
	size_t msg_len;		/* bytes of that message so far */
	int input_done;		/* caller gone or closed: forward no more */
	int stalled;		/* caller's socket paused for back-pressure */

	/* Handler stdout: a partial line, then whole lines queued as messages. */
	struct lines line;	/* owned; lines of at most max_msg bytes */
	unsigned long long lines_dropped;
	struct outmsg *oq_head, *oq_tail;
	size_t oq_bytes;
	int out_paused;

	int close_code;		/* code we close the caller with, 0 not yet */
	int close_now;		/* close without sending the queue first */
	char close_reason[64];
	int peer_code;		/* code in the caller's close frame, or 0 */
	int ended_code;		/* the code the call ended with, for the log */

	double t_start,
	    t_last_media,		/* binary or a media event: idle counts from it */
	    t_close_req, t_exit, t_term_at, t_kill_at;
	int term_sent, kill_sent;
	unsigned long long msgs_in, bytes_in, msgs_out, stalls;
	int native_started;
	unsigned long long frames;	/* native: binary frames received */
	struct buf ctl;		/* native: a control (text) message after start */
	struct mfeed *mf;	/* METRICS_FD's read end; NULL once closed */
};

/* call.c: the lifecycle. */
/* A new call for an accepted upgrade; hs is copied.  NULL when out of memory. */
struct call *call_new(const struct handshake *hs);
/* Ask for the caller to be closed with code (and reason, borrowed). */
void call_close(struct call *c, int code, const char *reason, int now);
void call_ws_closed(struct call *c);
/* SIGCHLD: the handler pid ended with wait status ws; 0 if pid is not ours. */
int call_reaped(pid_t pid, int ws);
/* Once a second, and whenever the server starts ending calls. */
void call_tick_all(double now);
/* Moves the call on once one side is done; may free c. */
void call_check_end(struct call *c);
/* Close the handler's stdin (from outside its callbacks). */
void close_stdin(struct call *c);
/* Close an adopted descriptor from outside its own callbacks. */
void kill_wsi(struct lws *wsi);

/* handler.c: the caller's connection is established: start the handler. */
void handler_start(struct call *c, struct lws *ws);

/* feed.c: lws events, routed by callbacks.c; int ones return -1 to close that wsi. */
void call_receive(struct call *c, const void *in, size_t len, int last,
    int binary);
int call_ws_writeable(struct call *c);
int call_stdin_writeable(struct call *c);
void call_stdin_closed(struct call *c);
int call_stdout_readable(struct call *c);
void call_stdout_closed(struct call *c);
/* Queue a text message for the caller; s (borrowed) is copied. */
void queue_text(struct call *c, const void *s, size_t n);
void free_queue(struct call *c);
/* Everything the caller sent has been handed on: EOF to the handler. */
void input_end(struct call *c);

/*
 * metricsfeed.c: the METRICS_FD pipe.  mfeed_open returns the write end
 * for the handler (O_NONBLOCK, close-on-exec), -1 on failure; mfeed_detach
 * drains and closes the read end when the call is freed.
 */
struct mfeed;
int mfeed_open(struct call *c);
void mfeed_detach(struct call *c);
int mfeed_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

/* native.c: the native protocol's own replies (protocol.h, replies). */
void native_message(struct call *c, const unsigned char *m, size_t n,
    int binary);
void native_control(struct call *c, const char *m, size_t n);

#endif
