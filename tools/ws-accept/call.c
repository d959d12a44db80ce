/*
 * call.c - per-call state: the handler process, its two pipes adopted into
 * the event loop, back-pressure both ways, and the endings.  See call.h.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "clock.h"
#include "call.h"
#include "io.h"
#include "logsafe.h"
#include "metrics.h"
#include "msg.h"
#include "server.h"
#include "spawn.h"

/* Queue for the caller: pause the handler's stdout beyond this. */
#define OUTQ_MAX (256 * 1024)
/* A close the caller never lets us send is forced after this. */
#define CLOSE_WAIT_S 10

static void call_check_end(struct call *c);

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
	c->t_start = c->t_last_rx = mono_s();
	c->next = srv.calls;
	if (srv.calls)
		srv.calls->prev = c;
	srv.calls = c;
	srv.ncalls++;
	metrics.active = srv.ncalls;
	return c;
}

/* Close an adopted descriptor from outside its own callbacks. */
static void
kill_wsi(struct lws *wsi)
{
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void
close_stdin(struct call *c)
{
	if (c->in_wsi && !c->in_closing) {
		c->in_closing = 1;
		kill_wsi(c->in_wsi);
	}
}

/* Queue a text message for the caller; s (borrowed) is copied. */
static void
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

static void
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

/* The environment a handler gets (ws-accept(1), ENVIRONMENT). */
static int
handler_env(struct call *c, char **env, size_t max)
{
	const struct handshake *h = &c->hs;
	size_t n = 0;

#define ADD(...) do {							\
		if (n + 1 >= max || asprintf(&env[n], __VA_ARGS__) < 0)	\
			goto fail;					\
		n++;							\
	} while (0)
	ADD("CALL_ID=%s", c->id);
	ADD("PROTOCOL=%s", h->auth.protocol == PROTO_NATIVE ? "native" :
	    "exotel");
	ADD("REMOTE_ADDR=%s", h->peer);
	ADD("REMOTE_PORT=%d", h->peer_port);
	ADD("CLIENT_ADDR=%s", h->client);
	ADD("REQUEST_PATH=%s", h->path);
	ADD("QUERY_STRING=%s", h->query);
	/* A name without '=' removes the variable (glibc putenv). */
	if (h->sample_rate)
		ADD("SAMPLE_RATE=%d", h->sample_rate);
	else if (h->auth.protocol == PROTO_EXOTEL)
		ADD("SAMPLE_RATE=8000");
	else
		ADD("SAMPLE_RATE");
	ADD("AUTH_METHOD=%s", h->auth.method);
	ADD("AUTH_PRINCIPAL=%s", h->auth.principal);
	if (h->auth.tenant[0])
		ADD("TENANT_ID=%s", h->auth.tenant);
	else
		ADD("TENANT_ID");
	if (h->auth.claims[0])
		ADD("JWT_CLAIMS=%s", h->auth.claims);
	else
		ADD("JWT_CLAIMS");
	/* Handlers never need the server's secrets. */
	ADD("JWT_SECRET");
	ADD("EXOTEL_BASIC_AUTH");
#undef ADD
	env[n] = NULL;
	return 0;
fail:
	while (n > 0)
		free(env[--n]);
	env[0] = NULL;
	return -1;
}

static struct lws *
adopt(struct call *c, int fd)
{
	lws_adopt_desc_t ad;

	memset(&ad, 0, sizeof ad);
	ad.vh = srv.vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = fd;
	ad.vh_prot_name = PROTO_PIPE;
	ad.opaque = c;
	return lws_adopt_descriptor_vhost_via_info(&ad);
}

static void
start_failed(struct call *c, int status, const char *why)
{
	c->status = status;
	metrics.exits[status & 255]++;
	call_close(c, 1011, why, 1);
}

void
call_start(struct call *c, struct lws *ws)
{
	struct spawn sp;
	char *env[24], *e, p1[128], p2[128];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, i;
	pid_t pid;

	c->ws = ws;
	c->t_start = c->t_last_rx = mono_s();
	info("call=%s accepted peer=%s:%d%s%s protocol=%s auth=%s principal=%s%s%s",
	    c->id, c->hs.peer, c->hs.peer_port,
	    strcmp(c->hs.client, c->hs.peer) ? " client=" : "",
	    strcmp(c->hs.client, c->hs.peer) ? c->hs.client : "",
	    c->hs.auth.protocol == PROTO_NATIVE ? "native" : "exotel",
	    c->hs.auth.method, logsafe(c->hs.auth.principal, p1, sizeof p1),
	    c->hs.auth.tenant[0] ? " tenant=" : "", c->hs.auth.tenant[0] ?
	    logsafe(c->hs.auth.tenant, p2, sizeof p2) : "");
	if (handler_env(c, env, sizeof env / sizeof env[0]) < 0) {
		warnx_("call=%s out of memory for the handler environment",
		    c->id);
		start_failed(c, EXIT_SYSTEM, "server out of memory");
		return;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		warn_sys("call=%s unable to create pipes", c->id);
		start_failed(c, EXIT_SYSTEM, "server out of descriptors");
		goto out;
	}
	memset(&sp, 0, sizeof sp);
	sp.argv = srv.cfg.argv;
	sp.fds[0].from = in[0];
	sp.fds[0].to = 0;
	sp.fds[1].from = out[1];
	sp.fds[1].to = 1;
	sp.nfds = 2;
	sp.setenv = env;
	sp.new_pgrp = 1;
	pid = spawn_child(&sp);
	if (pid < 0) {
		int st = errno == ENOENT || errno == EACCES || errno == ENOEXEC ?
		    spawn_exec_status(errno) : EXIT_SYSTEM;

		warn_sys("call=%s unable to run %s status=%d", c->id,
		    srv.cfg.argv[0], st);
		start_failed(c, st, "handler could not run");
		goto out;
	}
	c->pid = pid;
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	fd_nonblock(in[1], 1);
	fd_nonblock(out[0], 1);
	c->in_fd = in[1];
	/* On failure lws closes the descriptor itself. */
	c->in_wsi = adopt(c, in[1]);
	in[1] = -1;
	c->out_wsi = adopt(c, out[0]);
	out[0] = -1;
	if (c->in_wsi == NULL || c->out_wsi == NULL) {
		warnx_("call=%s unable to adopt the handler's pipes", c->id);
		c->in_fd = -1;
		close_stdin(c);
		if (c->out_wsi)
			kill_wsi(c->out_wsi), c->out_closing = 1;
		kill(-pid, SIGKILL);
		call_close(c, 1011, "server failure", 1);
	}
	debug("call=%s handler pid=%d", c->id, (int)pid);
out:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	for (i = 0; (e = env[i]) != NULL; i++)
		free(e);
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
		metrics.stalls++;
		lws_callback_on_writable(c->in_wsi);
	}
	lws_rx_flow_control(c->ws, on ? 0 : 1);
}

/* Everything the caller sent has been handed on: EOF to the handler. */
static void
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

/* Protocol-level replies of the native protocol (DESIGN.md). */
static void
native_message(struct call *c, const unsigned char *m, size_t n, int binary)
{
	char ack[64];
	int len;

	if (binary) {
		c->frames++;
		if (srv.cfg.ack_frames && c->frames % srv.cfg.ack_frames == 0) {
			len = snprintf(ack, sizeof ack,
			    "{\"event\":\"ack\",\"seq\":%llu}", c->frames);
			queue_text(c, ack, (size_t)len);
		}
		return;
	}
	if (!c->native_started && memmem(m, n, "\"event\"", 7) &&
	    memmem(m, n, "\"start\"", 7)) {
		c->native_started = 1;
		queue_text(c, "{\"event\":\"started\"}", 19);
	}
}

/*
 * A text message of a native call after its start (m borrowed, whole).
 * The handler's stdin carries raw PCM from then on, so text is never
 * forwarded: it would be published as noise, and an odd length would
 * shift every later sample.  A stop ends the call's input; the rest is
 * ignored.
 */
static void
native_control(struct call *c, const char *m, size_t n)
{
	if (memmem(m, n, "\"event\"", 7) && memmem(m, n, "\"stop\"", 6)) {
		info("call=%s native stop: input ends", c->id);
		input_end(c);
	} else
		debug("call=%s native text message ignored bytes=%zu", c->id, n);
}

void
call_receive(struct call *c, const void *in, size_t len, int last, int binary)
{
	const unsigned char *p = in;
	struct iovec iov[2];
	ssize_t w;

	c->t_last_rx = mono_s();
	if (c->close_code)
		return;
	if (!c->in_partial) {
		c->in_binary = binary;
		c->msg_len = 0;
	}
	c->msg_len += len;
	if ((long)c->msg_len > srv.cfg.max_msg) {
		warnx_("call=%s message too big bytes=%zu limit=%ld", c->id,
		    c->msg_len, srv.cfg.max_msg);
		metrics.closes_oversize++;
		call_close(c, 1009, "message too big", 1);
		input_end(c);
		return;
	}
	c->in_partial = !last;
	if (last) {
		c->msgs_in++;
		c->bytes_in += c->msg_len;
		metrics.msgs_in[c->in_binary]++;
		metrics.bytes_in[c->in_binary] += c->msg_len;
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
		if (last && c->hs.auth.protocol == PROTO_NATIVE)
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
		if (c->hs.auth.protocol == PROTO_NATIVE)
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
			if (c->hs.auth.protocol == PROTO_NATIVE) {
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
line_out(struct call *c, const unsigned char *s, size_t n)
{
	if (c->ws == NULL || c->close_now)
		return;
	c->msgs_out++;
	queue_text(c, s, n);
}

int
call_stdout_readable(struct call *c)
{
	unsigned char b[16384], *nl, *s;
	ssize_t r;
	size_t n;
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
		s = b;
		n = (size_t)r;
		while ((nl = memchr(s, '\n', n)) != NULL) {
			size_t k = (size_t)(nl - s);

			if (c->line.len) {
				if (buf_append(&c->line, s, k) < 0)
					return -1;
				line_out(c, (const unsigned char *)c->line.p, c->line.len);
				c->line.len = 0;
			} else {
				line_out(c, s, k);
			}
			s += k + 1;
			n -= k + 1;
		}
		if (n && buf_append(&c->line, s, n) < 0)
			return -1;
		if ((long)c->line.len > srv.cfg.max_msg) {
			warnx_("call=%s handler line longer than %ld bytes: "
			    "sent in pieces", c->id, srv.cfg.max_msg);
			line_out(c, (const unsigned char *)c->line.p, c->line.len);
			c->line.len = 0;
		}
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
	if (c->line.len)	/* a last line without its newline */
		line_out(c, (const unsigned char *)c->line.p, c->line.len);
	buf_free(&c->line);
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
	metrics.msgs_out++;
	metrics.bytes_out += m->len;
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

static void
call_free(struct call *c)
{
	int st = c->status;

	info("call=%s ended duration=%.1f messages=%llu bytes=%llu sent=%llu "
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
	metrics.active = srv.ncalls;
	buf_free(&c->in);
	buf_free(&c->line);
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
static void
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
	metrics.exits[c->status & 255]++;
	if (c->status != 0)
		(WIFSIGNALED(ws) ? warnx_ : info)("call=%s handler pid=%d "
		    "status=%d", c->id, (int)pid, c->status);
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
		    now - c->t_last_rx >= srv.cfg.idle_s) {
			info("call=%s idle timeout seconds=%d", c->id,
			    srv.cfg.idle_s);
			metrics.closes_idle++;
			call_close(c, 1008, "idle timeout", 1);
			input_end(c);
		} else if (srv.cfg.max_call_s &&
		    now - c->t_start >= srv.cfg.max_call_s) {
			info("call=%s max call duration seconds=%d", c->id,
			    srv.cfg.max_call_s);
			metrics.closes_maxcall++;
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
