/*
 * feed.c - a call's data, both ways.
 *
 * Caller to handler: each complete message (reassembled from fragments,
 * at most max_msg bytes) is written to the handler's stdin, a text message
 * followed by "\n".  When the pipe is full the caller's socket is paused
 * (lws_rx_flow_control) until the pipe drains, so memory stays bounded by
 * about one message plus what lws had already read.
 *
 * Handler to caller: each line of its stdout becomes a text message.  When
 * the caller reads slowly and the queue passes OUTQ_MAX the pipe is no
 * longer read, so the handler blocks on its own write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "callstate.h"
#include "counters.h"
#include "logsafe.h"
#include "msg.h"
#include "server.h"

/* Queue for the caller: pause the handler's stdout beyond this. */
#define OUTQ_MAX (256 * 1024)

/* Queue a text message for the caller; s (borrowed) is copied. */
void
queue_text(struct call *c, const void *s, size_t n)
{
	struct outmsg *m;

	if (c->ws == NULL || c->close_now)
		return;
	if ((m = malloc(sizeof *m + LWS_PRE + n)) == NULL) {
		warnx_("call=%s out of memory: message to the caller dropped",
		    c->id);
		return;
	}
	m->next = NULL;
	m->len = n;
	memcpy(m->data + LWS_PRE, s, n);
	if (c->oq_tail)
		c->oq_tail->next = m;
	else
		c->oq_head = m;
	c->oq_tail = m;
	c->oq_bytes += n;
	lws_callback_on_writable(c->ws);
	if (c->oq_bytes > OUTQ_MAX && c->out_wsi && !c->out_paused) {
		c->out_paused = 1;
		lws_rx_flow_control(c->out_wsi, 0);
	}
}

void
free_queue(struct call *c)
{
	struct outmsg *m, *n;

	for (m = c->oq_head; m; m = n) {
		n = m->next;
		free(m);
	}
	c->oq_head = c->oq_tail = NULL;
	c->oq_bytes = 0;
}

/*
 * Write what is ready to the handler's stdin.  Returns 0 when all of it
 * went, 1 when some is left (pipe full), -1 when the handler closed its
 * stdin (the rest is discarded: nobody will read it).
 */
static int
flush_stdin(struct call *c)
{
	ssize_t w;

	while (c->ready > 0) {
		w = write(c->in_fd, c->in.p, c->ready);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			if (errno != EPIPE)
				warn_sys("call=%s write to handler", c->id);
			else
				debug("call=%s handler closed its stdin", c->id);
			buf_consume(&c->in, c->in.len);
			c->ready = 0;
			c->input_done = 1;
			return -1;
		}
		buf_consume(&c->in, (size_t)w);
		c->ready -= (size_t)w;
	}
	return 0;
}

/* Pause or resume the caller's socket as the handler's stdin fills. */
static void
stall(struct call *c, int on)
{
	if (c->ws == NULL || c->stalled == on)
		return;
	c->stalled = on;
	if (on) {
		c->stalls++;
		counters.stalls++;
		lws_callback_on_writable(c->in_wsi);
	}
	lws_rx_flow_control(c->ws, on ? 0 : 1);
}

/* Everything the caller sent has been handed on: EOF to the handler. */
void
input_end(struct call *c)
{
	c->input_done = 1;
	c->in.len = c->ready;	/* a partial message is never delivered */
	c->in_partial = 0;
	if (c->ready == 0)
		close_stdin(c);
	else if (c->in_wsi)
		lws_callback_on_writable(c->in_wsi);
}

/*
 * Does this text (a message or its first fragment, borrowed) carry media:
 * "event" then ':' then "media", blanks allowed?  A call that sends only
 * marks or keep-alives is idle.
 */
static int
is_media(const unsigned char *m, size_t n)
{
	const unsigned char *p = m, *end = m + n;

	while ((p = memmem(p, (size_t)(end - p), "\"event\"", 7)) != NULL) {
		p += 7;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if (p >= end || *p++ != ':')
			continue;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if ((size_t)(end - p) >= 7 && !memcmp(p, "\"media\"", 7))
			return 1;
	}
	return 0;
}

void
call_receive(struct call *c, const void *in, size_t len, int last, int binary)
{
	const unsigned char *p = in;
	struct iovec iov[2];
	ssize_t w;

	if (c->close_code)
		return;
	if (!c->in_partial) {
		c->in_binary = binary;
		c->msg_len = 0;
		if (binary && protocol_info(c->hs.auth.protocol)->text_only) {
			/*
			 * Written raw, it would swallow the next message's
			 * line (a following stop was lost).
			 */
			warnx_("call=%s binary frame on a text-only protocol=%s",
			    c->id, protocol_name(c->hs.auth.protocol));
			call_close(c, 1003, "binary frames not accepted", 1);
			input_end(c);
			return;
		}
	}
	/* Only media keeps a call from its idle timeout. */
	if (binary || is_media(p, len))
		c->t_last_media = mono_s();
	c->msg_len += len;
	if ((long)c->msg_len > srv.cfg.max_msg) {
		warnx_("call=%s message too big bytes=%zu limit=%ld", c->id,
		    c->msg_len, srv.cfg.max_msg);
		counters.closes_oversize++;
		call_close(c, 1009, "message too big", 1);
		input_end(c);
		return;
	}
	c->in_partial = !last;
	if (last) {
		c->msgs_in++;
		c->bytes_in += c->msg_len;
		counters.msgs_in[c->in_binary]++;
		counters.bytes_in[c->in_binary] += c->msg_len;
	}
	if (c->native_started && !c->in_binary) {
		if (buf_append(&c->ctl, p, len) < 0) {
			call_close(c, 1011, "server out of memory", 1);
			input_end(c);
			return;
		}
		if (last) {
			native_control(c, c->ctl.p, c->ctl.len);
			buf_free(&c->ctl);
		}
		return;
	}
	if (c->input_done || c->in_wsi == NULL || c->in_closing) {
		/* The handler is gone or closed its stdin: nothing to feed. */
		if (last && protocol_info(c->hs.auth.protocol)->replies)
			native_message(c, p, len, c->in_binary);
		return;
	}
	if (last && c->in.len == 0) {
		/* The usual case, a whole message at once: no copy. */
		iov[0].iov_base = (void *)p;
		iov[0].iov_len = len;
		iov[1].iov_base = "\n";
		iov[1].iov_len = c->in_binary ? 0 : 1;
		do
			w = writev(c->in_fd, iov, 2);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			if (errno != EPIPE)
				warn_sys("call=%s write to handler", c->id);
			c->input_done = 1;
			close_stdin(c);
		} else {
			size_t done = w < 0 ? 0 : (size_t)w;

			if ((done < len &&
			    buf_append(&c->in, p + done, len - done) < 0) ||
			    (!c->in_binary && done <= len &&
			    buf_append(&c->in, "\n", 1) < 0)) {
				/* Part of the message is in the pipe: end cleanly. */
				warnx_("call=%s out of memory", c->id);
				call_close(c, 1011, "server out of memory", 1);
				c->input_done = 1;
				close_stdin(c);
				return;
			}
			c->ready = c->in.len;
		}
		if (protocol_info(c->hs.auth.protocol)->replies)
			native_message(c, p, len, c->in_binary);
	} else {
		if (buf_append(&c->in, p, len) < 0 ||
		    (last && !c->in_binary && buf_append(&c->in, "\n", 1) < 0)) {
			warnx_("call=%s out of memory", c->id);
			call_close(c, 1011, "server out of memory", 1);
			input_end(c);
			return;
		}
		if (last) {
			if (protocol_info(c->hs.auth.protocol)->replies) {
				/* the message spans [start of it, end) */
				size_t mlen = c->msg_len;
				size_t end = c->in.len - (c->in_binary ? 0 : 1);

				native_message(c, (const unsigned char *)
				    c->in.p + end - mlen, mlen, c->in_binary);
			}
			c->ready = c->in.len;
		}
	}
	if (c->ready > 0) {
		switch (flush_stdin(c)) {
		case 1:
			stall(c, 1);
			break;
		case -1:
			close_stdin(c);
			break;
		}
	}
}

int
call_stdin_writeable(struct call *c)
{
	int r;

	if (c->in_closing)
		return -1;
	r = flush_stdin(c);
	if (r == 1) {
		lws_callback_on_writable(c->in_wsi);
		return 0;
	}
	if (r < 0) {
		c->in_closing = 1;
		stall(c, 0);
		return -1;
	}
	stall(c, 0);
	if (c->input_done) {
		c->in_closing = 1;
		return -1;
	}
	return 0;
}

void
call_stdin_closed(struct call *c)
{
	c->in_wsi = NULL;
	c->in_fd = -1;
	c->in_closing = 0;
	c->input_done = 1;
	buf_free(&c->in);
	c->ready = 0;
	stall(c, 0);
	call_check_end(c);
}

/*
 * One line (without its newline) of the handler's stdout to the caller;
 * counted only when there is still a caller to send it to.
 */
static void
line_out(void *ctx, const char *s, size_t n)
{
	struct call *c = ctx;

	if (c->ws == NULL || c->close_now)
		return;
	c->msgs_out++;
	queue_text(c, (const unsigned char *)s, n);
}

/*
 * The line being read is longer than max_msg.  Never split: each piece
 * would be an invalid message (half a JSON object).  It is dropped whole.
 */
static void
line_too_long(void *ctx)
{
	struct call *c = ctx;

	warnx_("call=%s handler line longer than %ld bytes "
	    "(max-message-bytes): dropped", c->id, srv.cfg.max_msg);
	c->lines_dropped++;
	counters.lines_dropped++;
}

int
call_stdout_readable(struct call *c)
{
	char b[16384];
	ssize_t r;
	int rounds;

	/* A few reads per wake-up, so one chatty handler cannot starve others. */
	for (rounds = 0; rounds < 4; rounds++) {
		r = read(lws_get_socket_fd(c->out_wsi), b, sizeof b);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			warn_sys("call=%s read from handler", c->id);
			return -1;
		}
		if (r == 0)
			return -1;
		if (lines_feed(&c->line, b, (size_t)r,
		    (size_t)srv.cfg.max_msg, line_out, line_too_long, c) < 0)
			return -1;
		if (c->out_paused)
			return 0;
	}
	return 0;
}

void
call_stdout_closed(struct call *c)
{
	c->out_wsi = NULL;
	c->out_closing = 0;
	if (c->line.part.len && !c->line.skipping) /* a last line without its newline */
		line_out(c, c->line.part.p, c->line.part.len);
	buf_free(&c->line.part);
	call_check_end(c);
}

int
call_ws_writeable(struct call *c)
{
	struct outmsg *m;
	int n;

	if (c->close_code && (c->close_now || c->oq_head == NULL)) {
		lws_close_reason(c->ws, (enum lws_close_status)c->close_code,
		    (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if ((m = c->oq_head) == NULL)
		return 0;
	n = lws_write(c->ws, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
	if (n < (int)m->len)
		return -1;
	counters.msgs_out++;
	counters.bytes_out += m->len;
	c->oq_head = m->next;
	if (c->oq_head == NULL)
		c->oq_tail = NULL;
	c->oq_bytes -= m->len;
	free(m);
	if (c->out_paused && c->oq_bytes < OUTQ_MAX / 2 && c->out_wsi) {
		c->out_paused = 0;
		lws_rx_flow_control(c->out_wsi, 1);
	}
	if (c->oq_head || c->close_code)
		lws_callback_on_writable(c->ws);
	return 0;
}
