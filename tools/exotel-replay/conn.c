/*
 * conn.c - the libwebsockets client of exotel-replay: one context for
 * every call, one connection per call, messages written only from
 * LWS_CALLBACK_CLIENT_WRITEABLE when a lws_sul timer says they are due,
 * and each text message the server sends printed as a line on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "msg.h"
#include "replay.h"

enum state { ST_CONNECTING, ST_STREAMING, ST_LINGER, ST_CLOSING,
    ST_ABORTED, ST_DONE };

struct call {
	int index;
	struct lws *wsi;		/* owned by lws; NULL once closed */
	struct source src;		/* owned */
	struct outmsg msg;		/* owned; the message being sent */
	int have;			/* msg holds a message not yet sent */
	size_t off;			/* bytes of msg written (fragments) */
	enum state state;
	lws_sorted_usec_list_t sul_send, sul_abort, sul_linger;
	int64_t t0;			/* monotonic us at the upgrade */
	int64_t base_ms;		/* media time of the first timed one */
	int oversize;			/* -O message still to send */
	int write_failed;		/* lws_write failed */
	int status;			/* this call's exit status */
	char why[320];			/* why it failed, for the log */
	int peer_code;			/* close code the server sent, 0 none */
	char peer_reason[128];
	char *rx;			/* owned; text message being received */
	size_t rxlen;
	int rxtrunc;
	unsigned long nsent, nrecv, nbinary;
};

static struct lws_context *ctx;
static struct call *calls;
static int active;			/* calls not finished */
static int stopping;			/* stdout failed, or -t expired */
static volatile sig_atomic_t got_signal;	/* SIGINT or SIGTERM */
static int hanging_up;			/* closing every call for a signal */
static int out_failed;
static int log_fd = -1;			/* -L */
static lws_sorted_usec_list_t sul_timeout;
static char target[300];		/* host:port, for messages */

static void
call_fail(struct call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure of a call; the worst status wins. */
static void
call_fail(struct call *c, int status, const char *fmt, ...)
{
	va_list ap;

	if (status > c->status)
		c->status = status;
	if (c->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

static void
cancel_timers(struct call *c)
{
	lws_sul_cancel(&c->sul_send);
	lws_sul_cancel(&c->sul_abort);
	lws_sul_cancel(&c->sul_linger);
}

static void
finish(struct call *c)
{
	if (c->state == ST_DONE)
		return;
	cancel_timers(c);
	c->state = ST_DONE;
	c->wsi = NULL;
	if (c->t0)
		info("call=%d ended id=%s sent=%lu received=%lu", c->index,
		    c->src.callid, c->nsent, c->nrecv);
	if (--active == 0)
		lws_cancel_service(ctx);
}

static void
want_write(struct call *c)
{
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void
send_due(lws_sorted_usec_list_t *sul)
{
	want_write(lws_container_of(sul, struct call, sul_send));
}

/*
 * lws 4.1.6 polls with a timeout in whole milliseconds, rounded down: in
 * the last millisecond before a timer it spins on poll(0), which cost
 * about 1 ms of CPU per paced message here.  Sleep through that
 * millisecond instead.  The pacing timers are on lws's "wake if
 * suspended" list only so that lws_sul_earliest_wakeable_event() finds
 * the earliest of them without a scan.
 */
static void
nap(void)
{
	lws_usec_t first, now;
	struct timespec ts;

	if (lws_sul_earliest_wakeable_event(ctx, &first))
		return;
	now = lws_now_usecs();
	if (first <= now || first - now >= 1000)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(first - now) * 1000;
	nanosleep(&ts, NULL);
}

static void
linger_over(lws_sorted_usec_list_t *sul)
{
	struct call *c = lws_container_of(sul, struct call, sul_linger);

	if (c->state == ST_LINGER) {
		debug("call=%d no close from the server; closing", c->index);
		c->state = ST_CLOSING;
		want_write(c);
	}
}

/*
 * -a: drop the TCP connection without a close frame, as a caller whose
 * network goes away.  SO_LINGER 0 makes the close a reset; shutdown makes
 * the server see the end now and lws notice it on its next poll.
 */
static void
abort_now(lws_sorted_usec_list_t *sul)
{
	struct call *c = lws_container_of(sul, struct call, sul_abort);
	struct linger l = { 1, 0 };
	int fd;

	if (!c->wsi || c->state >= ST_CLOSING)
		return;
	info("call=%d aborting the connection (-a)", c->index);
	c->state = ST_ABORTED;
	fd = lws_get_socket_fd(c->wsi);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		shutdown(fd, SHUT_RDWR);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/*
 * Signal handlers set a flag; hang_up() does the work.  poll() is never
 * restarted after a handler, so lws_service() returns and the loop sees
 * the flag.
 */
static void
on_signal(int sig)
{
	got_signal = sig;
}

/*
 * The first SIGINT or SIGTERM closes every call with 1001 (going away),
 * as a caller hanging up would; the default disposition is back for a
 * second one.
 */
static void
hang_up(void)
{
	int i;

	hanging_up = 1;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	info("signal=%d closing %d calls", (int)got_signal, active);
	for (i = 0; i < opt.ncalls; i++) {
		struct call *c = &calls[i];

		if (c->state == ST_DONE)
			continue;
		call_fail(c, 128 + (int)got_signal, "interrupted by signal %d",
		    (int)got_signal);
		if (c->state == ST_STREAMING || c->state == ST_LINGER) {
			lws_sul_cancel(&c->sul_send);
			c->state = ST_CLOSING;
			want_write(c);
		}
	}
}

static void
all_timeout(lws_sorted_usec_list_t *sul)
{
	int i;

	(void)sul;
	for (i = 0; i < opt.ncalls; i++)
		if (calls[i].state != ST_DONE)
			call_fail(&calls[i], EXIT_SYSTEM,
			    "timed out after %d s (-t)", opt.timeout_s);
	stopping = 1;
	lws_cancel_service(ctx);
}

/* "call_index chunk timestamp_ms send_unix_us", for the latency bench. */
static void
log_sent(const struct call *c)
{
	struct timespec ts;
	char line[128], chunk[24], tsb[24];
	int n;

	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (c->msg.chunk >= 0)
		snprintf(chunk, sizeof chunk, "%ld", c->msg.chunk);
	else
		strcpy(chunk, "-");
	if (c->msg.ts_ms >= 0)
		snprintf(tsb, sizeof tsb, "%lld", (long long)c->msg.ts_ms);
	else
		strcpy(tsb, "-");
	n = snprintf(line, sizeof line, "%d %s %s %lld\n", c->index, chunk,
	    tsb, (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	if (write_all(log_fd, line, (size_t)n) < 0) {
		warn_sys("unable to write the timing log");
		log_fd = -1;
	}
}

/* The -O message: a JSON object padded to exactly opt.oversize bytes. */
static void
make_oversize(struct outmsg *m)
{
	static const char head[] = "{\"event\":\"oversize\",\"pad\":\"";
	size_t n = (size_t)opt.oversize, h = sizeof head - 1;
	unsigned char *p;

	outmsg_reserve(m, n);
	p = m->buf + LWS_PRE;
	memset(p, 'x', n);
	if (n >= h + 3) {
		memcpy(p, head, h);
		memcpy(p + n - 2, "\"}", 2);
	}
	m->len = n;
	m->binary = 0;
	m->is_start = 0;
	m->due_ms = -1;
	m->chunk = -1;
	m->ts_ms = -1;
}

/* Fetch the next message into c->msg.  0 ok, -1 nothing more to send. */
static int
next_message(struct call *c)
{
	int r;

	if (c->oversize) {
		c->oversize = 0;
		make_oversize(&c->msg);
	} else {
		r = source_next(&c->src, &c->msg);
		if (r < 0)
			call_fail(c, EXIT_BADINPUT, "bad input: %s",
			    c->src.err);
		if (r <= 0)
			return -1;
		if (c->msg.is_start && opt.oversize > 0)
			c->oversize = 1;
	}
	c->have = 1;
	c->off = 0;
	return 0;
}

/* Everything sent: wait -w seconds for the server's close, then close. */
static void
input_done(struct call *c)
{
	debug("call=%d all %lu messages sent", c->index, c->nsent);
	if (c->status || opt.linger_s == 0) {
		c->state = ST_CLOSING;
		want_write(c);
		return;
	}
	c->state = ST_LINGER;
	lws_sul_schedule(ctx, 0, &c->sul_linger, linger_over,
	    (lws_usec_t)opt.linger_s * LWS_US_PER_SEC);
}

/* One write per WRITEABLE callback, as lws requires. */
static int
writeable(struct call *c)
{
	struct outmsg *m = &c->msg;
	enum lws_write_protocol wp;
	int64_t at, now, delta;
	size_t n;

	if (c->state == ST_CLOSING) {
		lws_close_reason(c->wsi, hanging_up ?
		    LWS_CLOSE_STATUS_GOINGAWAY : LWS_CLOSE_STATUS_NORMAL,
		    NULL, 0);
		return -1;
	}
	if (c->state != ST_STREAMING)
		return 0;
	if (!c->have && next_message(c) < 0) {
		input_done(c);
		return 0;
	}
	if (c->off == 0 && opt.factor > 0 && m->due_ms >= 0) {
		if (c->base_ms < 0)
			c->base_ms = m->due_ms;
		delta = m->due_ms - c->base_ms;
		at = c->t0 + (delta > 0 ? delta : 0) * 1000 / opt.factor;
		now = mono_us();
		if (at > now) {
			lws_sul_schedule_wakesuspend(ctx, 0, &c->sul_send,
			    send_due,
			    (lws_usec_t)(at - now));
			return 0;
		}
	}
	if (c->off == 0)
		log_sent(c);
	n = m->len - c->off;
	if (opt.frag > 0 && n > (size_t)opt.frag)
		n = (size_t)opt.frag;
	if (c->off > 0)
		wp = LWS_WRITE_CONTINUATION;
	else
		wp = m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
	if (c->off + n < m->len)
		wp |= LWS_WRITE_NO_FIN;
	/* lws writes the frame header into the LWS_PRE bytes before. */
	if (lws_write(c->wsi, m->buf + LWS_PRE + c->off, n, wp) < (int)n) {
		/* Most often the server closed: closed() says how. */
		c->write_failed = 1;
		return -1;
	}
	c->off += n;
	if (c->off == m->len) {
		c->have = 0;
		c->nsent++;
		/*
		 * Look ahead now: a server that closes as soon as it gets the
		 * stop message must find us done, not still streaming.
		 */
		if (next_message(c) < 0) {
			input_done(c);
			return 0;
		}
	}
	want_write(c);
	return 0;
}

/* A piece of a message from the server: text is printed a line each. */
static void
receive(struct call *c, struct lws *wsi, const void *in, size_t len)
{
	char prefix[16];
	size_t room;
	int plen = 0;

	if (lws_frame_is_binary(wsi)) {
		c->nbinary += len;
		if (lws_is_final_fragment(wsi))
			debug("call=%d binary message ignored", c->index);
		return;
	}
	if (opt.ncalls > 1)
		plen = snprintf(prefix, sizeof prefix, "%d ", c->index);
	if (c->rx == NULL && (c->rx = malloc(RX_MAX_BYTES + 32)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate a receive buffer");
	if (c->rxlen == 0) {
		memcpy(c->rx, prefix, (size_t)plen);
		c->rxlen = (size_t)plen;
	}
	room = RX_MAX_BYTES + (size_t)plen - c->rxlen;
	if (len > room) {
		c->rxtrunc = 1;
		len = room;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!lws_is_final_fragment(wsi))
		return;
	c->nrecv++;
	if (c->rxtrunc)
		warnx_("call=%d message from the server longer than %d bytes; "
		    "printed truncated", c->index, RX_MAX_BYTES);
	c->rx[c->rxlen++] = '\n';
	if (!out_failed && write_all(1, c->rx, c->rxlen) < 0) {
		warn_sys("unable to write stdout");
		out_failed = 1;
		stopping = 1;
		lws_cancel_service(ctx);
	}
	c->rxlen = 0;
	c->rxtrunc = 0;
}

static void
established(struct call *c)
{
	c->t0 = mono_us();
	c->state = hanging_up ? ST_CLOSING : ST_STREAMING;
	info("call=%d connected", c->index);
	if (opt.abort_ms >= 0)
		lws_sul_schedule(ctx, 0, &c->sul_abort, abort_now,
		    (lws_usec_t)opt.abort_ms * LWS_US_PER_MS);
	want_write(c);
}

static void
closed(struct call *c)
{
	const char *code = "";
	char buf[64];

	if (stopping || c->state == ST_DONE) {
		finish(c);
		return;
	}
	if (c->peer_code) {
		snprintf(buf, sizeof buf, "code=%d", c->peer_code);
		code = buf;
	}
	switch (c->state) {
	case ST_ABORTED:
		break;
	case ST_CLOSING:
		/*
		 * The server may answer our close with its own code: 1011
		 * means the pipeline failed and the audio did not get
		 * through, whatever we sent.
		 */
		if (c->peer_code != 0 && c->peer_code != LWS_CLOSE_STATUS_NORMAL &&
		    c->peer_code != LWS_CLOSE_STATUS_NO_STATUS)
			call_fail(c, EXIT_SYSTEM, "server closed the call: %s "
			    "reason=\"%s\"", code, c->peer_reason);
		break;
	case ST_LINGER:
		if (c->peer_code == 0)
			call_fail(c, EXIT_SYSTEM, "connection lost: code=1006 "
			    "(no close frame)");
		else if (c->peer_code != LWS_CLOSE_STATUS_NORMAL &&
		    c->peer_code != LWS_CLOSE_STATUS_NO_STATUS)
			call_fail(c, EXIT_SYSTEM, "server closed the call: %s "
			    "reason=\"%s\"", code, c->peer_reason);
		break;
	default:
		if (c->peer_code == 0)
			call_fail(c, EXIT_SYSTEM, "connection lost after %lu "
			    "messages%s: code=1006 (no close frame)", c->nsent,
			    c->write_failed ? " (send failed)" : "");
		else
			call_fail(c, EXIT_SYSTEM, "server closed the call "
			    "after %lu messages, before the end of input: %s "
			    "reason=\"%s\"", c->nsent, code, c->peer_reason);
		break;
	}
	finish(c);
}

static void
connection_error(struct call *c, struct lws *wsi, const char *in, size_t len)
{
	unsigned status = wsi ? lws_http_client_http_response(wsi) : 0;

	if (status && status != 101)
		call_fail(c, EXIT_SYSTEM, "handshake refused: HTTP %u", status);
	else
		call_fail(c, EXIT_SYSTEM, "unable to connect to %s: %.*s",
		    target, in ? (int)len : 7, in ? in : "unknown");
	finish(c);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct call *c = user;
	const unsigned char *p = in;
	unsigned char **hp;

	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (!opt.auth)
			break;
		hp = (unsigned char **)in;
		if (lws_add_http_header_by_name(wsi,
		    (const unsigned char *)"authorization:",
		    (const unsigned char *)opt.auth, (int)strlen(opt.auth),
		    hp, *hp + len))
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		/* in: an error string of len bytes, maybe not NUL-ended. */
		if (len == 0 && in)
			len = strlen(in);
		connection_error(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->wsi = wsi;
		established(c);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return writeable(c);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* in: 2-byte big-endian code, then the reason. */
		c->peer_code = len >= 2 ? p[0] << 8 | p[1] :
		    LWS_CLOSE_STATUS_NO_STATUS;
		if (len > 2)
			snprintf(c->peer_reason, sizeof c->peer_reason, "%.*s",
			    (int)(len - 2), p + 2);
		debug("call=%d server closes: code=%d", c->index, c->peer_code);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		closed(c);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "exotel-replay", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Route lws's own log lines into ours, at debug level only. */
static void
lws_log(int level, const char *line)
{
	(void)level;
	debug("lws: %.*s", (int)strcspn(line, "\n"), line);
}

/* Split url into its parts.  Borrows and modifies buf (a copy of it). */
static void
parse_url(char *buf, int *tls, const char **host, int *port,
    char *path, size_t pathlen)
{
	const char *prot, *p;

	if (lws_parse_uri(buf, &prot, host, port, &p) ||
	    (strcmp(prot, "ws") && strcmp(prot, "wss")) || !**host)
		fatal(EXIT_USAGE, "invalid URL: want ws://host[:port]/path "
		    "or wss://...");
	*tls = !strcmp(prot, "wss");
	snprintf(path, pathlen, "/%s", p);
}

/* The -n summary line (its own function: replay_run has a local "info"). */
static void
summary(int nfail, int status)
{
	info("summary calls=%d ok=%d failed=%d status=%d", opt.ncalls,
	    opt.ncalls - nfail, nfail, status);
}

int
replay_run(const char *url, const struct input *in)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	char *ubuf, path[4096], *hosthdr = target;
	const char *host;
	int port, tls, i, status = 0, nfail = 0, first = -1;

	if ((ubuf = strdup(url)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	parse_url(ubuf, &tls, &host, &port, path, sizeof path);
	/* The Host header: an IPv6 address goes in brackets. */
	if ((port == 80 && !tls) || (port == 443 && tls))
		snprintf(hosthdr, sizeof target, strchr(host, ':') ? "[%s]" :
		    "%s", host);
	else
		snprintf(hosthdr, sizeof target, strchr(host, ':') ?
		    "[%s]:%d" : "%s:%d", host, port);
	lws_set_log_level(msg_verbosity >= 2 ? LLL_ERR | LLL_WARN |
	    LLL_NOTICE : 0, lws_log);

	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	/* Loading the system's CA store costs ~10 ms: only for wss. */
	if (tls) {
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = opt.ca;
	}
	if ((ctx = lws_create_context(&info)) == NULL)
		fatal(EXIT_SYSTEM, "unable to create a libwebsockets "
		    "context");

	if ((calls = calloc((size_t)opt.ncalls, sizeof *calls)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate calls");
	active = opt.ncalls;
	for (i = 0; i < opt.ncalls; i++) {
		calls[i].index = i;
		calls[i].base_ms = -1;
		source_init(&calls[i].src, in, i);
	}
	if (opt.timeout_s > 0)
		lws_sul_schedule(ctx, 0, &sul_timeout, all_timeout,
		    (lws_usec_t)opt.timeout_s * LWS_US_PER_SEC);
	for (i = 0; i < opt.ncalls; i++) {
		memset(&ci, 0, sizeof ci);
		ci.context = ctx;
		ci.address = host;
		ci.port = port;
		ci.path = path;
		ci.host = hosthdr;
		ci.origin = hosthdr;
		ci.local_protocol_name = protocols[0].name;
		ci.userdata = &calls[i];
		if (tls)
			ci.ssl_connection = LCCSCF_USE_SSL | (opt.insecure ?
			    LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_EXPIRED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK : 0);
		/* A NULL return has already called CONNECTION_ERROR, or not. */
		if (!lws_client_connect_via_info(&ci) &&
		    calls[i].state != ST_DONE) {
			call_fail(&calls[i], EXIT_SYSTEM,
			    "unable to connect to %s", hosthdr);
			finish(&calls[i]);
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (active > 0 && !stopping) {
		if (got_signal && !hanging_up)
			hang_up();
		nap();
		if (lws_service(ctx, 0) < 0)
			break;
	}
	lws_sul_cancel(&sul_timeout);
	for (i = 0; i < opt.ncalls; i++)
		cancel_timers(&calls[i]);
	lws_context_destroy(ctx);

	for (i = 0; i < opt.ncalls; i++) {
		if (calls[i].status) {
			if (first < 0)
				first = i;
			else
				warnx_("call=%d %s", i, calls[i].why);
			nfail++;
		}
		if (calls[i].status > status)
			status = calls[i].status;
		source_free(&calls[i].src);
		free(calls[i].msg.buf);
		free(calls[i].rx);
	}
	if (out_failed && status < EXIT_SYSTEM)
		status = EXIT_SYSTEM;
	/* -n: one line that says how the run went, whatever happened. */
	if (opt.ncalls > 1)
		summary(nfail, status);
	if (first >= 0) {
		char what[400];

		snprintf(what, sizeof what, "%s", calls[first].why);
		free(calls);
		free(ubuf);
		if (nfail > 1)
			fatal(status, "call=%d %s (%d of %d calls failed)",
			    first, what, nfail, opt.ncalls);
		fatal(status, "call=%d %s", first, what);
	}
	free(calls);
	free(ubuf);
	return status;
}

/* Open the -L timing log. */
void
replay_log_open(const char *path)
{
	if ((log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", path);
}

int
replay_log_close(void)
{
	if (log_fd >= 0 && close(log_fd) < 0) {
		warn_sys("unable to write the timing log");
		return -1;
	}
	return 0;
}
