/*
 * ws-load - a load generator for ws-accept: thousands of Exotel calls from
 * one process, in real time, with the latency of every published frame.
 *
 * Each call connects (plain ws://), sends "connected", "start" and then
 * one media message every -m ms (PCM16 at -r Hz, a two-tone test signal)
 * for -s seconds, then "stop" and a close (1000), and waits for the
 * server's close.  Calls start evenly spread over -R ms.  Every message
 * is built ahead of time (the base64 audio and its JSON tail are shared
 * by all calls; only the call id and sequence number are copied in), and
 * sent with one write() from one epoll loop, so the generator costs a
 * few microseconds a message and is not the bottleneck it measures.
 *
 * With -x URL a second process (forked, sharing the send times) reads
 * from that Redis, as the frames come, the stream -k (audio frames, XADD
 * by redis-pub) and -e (events), trimming what it has read (XTRIM MINID)
 * so Redis holds seconds of audio, not the whole run; it reports, per
 * frame, latency =
 * the frame's XADD time (its entry id, Redis's clock, 1 ms resolution)
 * minus the time this process wrote the media message holding the
 * frame's last sample (the sample at input time (end - 1) * in / out);
 * and, per call, set-up time = the start event's XADD time minus the
 * connect() of the call, and whether the frames hold exactly
 * round(N * out / in) samples with no seq missing.
 *
 * Output, one line of key=value words on stdout (the bench parses it):
 *   calls ok failed msgs send_late_p99_ms cpu_us_per_msg hs_p50_ms
 *   hs_p99_ms [frames lost_samples short_calls lat_p50_ms lat_p99_ms
 *   lat_max_ms setup_p50_ms setup_p99_ms setup_max_ms]
 * Exit 0 when every call ended normally (and, with -x, nothing was
 * lost), 1 otherwise, 100 usage, 111 system failure.
 *
 * usage: ws-load [-n calls] [-s seconds] [-m ms] [-r rate] [-R ramp-ms]
 *        [-i id-prefix] [-x redis-url -k stream [-e events-stream]
 *        [-o out-rate]] ws://host:port/path
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "base64.h"
#include "msg.h"
#include "num.h"

#define USAGE "ws-load [-n calls] [-s seconds] [-m ms] [-r rate] " \
	"[-R ramp-ms] [-i id-prefix] [-x redis-url -k stream " \
	"[-e events-stream] [-o out-rate]] ws://host:port/path"

/* After the last message, how long a call may take to be closed. */
#define CLOSE_GRACE_US (30 * 1000000LL)

enum { ST_WAIT, ST_CONNECTING, ST_HANDSHAKE, ST_MEDIA, ST_CLOSING, ST_DONE };

struct call {
	int fd;
	int state;
	int ok;			/* ended with a close 1000 after ours */
	long next;		/* next media chunk to send */
	int64_t due_us;		/* when the next thing is due (heap key) */
	int64_t connect_us;	/* realtime: connect() called */
	int64_t hs_us;		/* handshake took */
	char *tx;		/* unsent bytes (a short write); owned */
	size_t txlen, txoff;
	char rx[512];		/* the handshake reply so far */
	size_t rxlen;
	uint64_t skip;		/* bytes of a server frame still to skip */
	int64_t *sent_us;	/* realtime each chunk was written; owned */
	/* Filled from Redis. */
	uint64_t out_samples, next_seq;
	int64_t setup_us;
	int holes;
};

static struct {
	int n, secs, msg_ms, rate, out_rate, ramp_ms;
	const char *prefix, *host, *port, *path, *redis, *stream, *events;
} o = { 100, 10, 20, 8000, 24000, 1000, "load", NULL, NULL, NULL, NULL,
	NULL, NULL };

static struct call *calls;
static long nchunks, chunk_samples;
static char **tails;		/* per chunk: ,"media":{...}} */
static size_t *tail_len;
static int *heap;		/* calls by due_us */
static int nheap;
static int ep;
static struct addrinfo *ai;
static uint64_t msgs_sent;
static int64_t *sent;		/* every call's sent_us, one block */
static int64_t *late_us;	/* how late each media message left */
static size_t nlate, late_cap;

static int64_t
now_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	return p;
}

/*
 * Memory the reader process (after fork) sees as the callers write it:
 * the calls (their connect and send times) and the results it fills in.
 */
static void *
shared(size_t n)
{
	void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatal_sys(EXIT_SYSTEM, "unable to map shared memory");
	return p;
}

/* The heap of waiting calls, earliest due_us first. */
static void
heap_swap(int a, int b)
{
	int t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
}

static void
heap_push(int i)
{
	int k = nheap++, p;

	heap[k] = i;
	while (k > 0 && calls[heap[p = (k - 1) / 2]].due_us >
	    calls[heap[k]].due_us) {
		heap_swap(k, p);
		k = p;
	}
}

static int
heap_pop(void)
{
	int top = heap[0], k = 0, l, m;

	heap[0] = heap[--nheap];
	for (;;) {
		l = 2 * k + 1;
		m = k;
		if (l < nheap && calls[heap[l]].due_us < calls[heap[m]].due_us)
			m = l;
		if (l + 1 < nheap &&
		    calls[heap[l + 1]].due_us < calls[heap[m]].due_us)
			m = l + 1;
		if (m == k)
			break;
		heap_swap(k, m);
		k = m;
	}
	return top;
}

/* The test signal: 440 Hz and 1 kHz at 0.3 of full scale together. */
static void
build_tails(void)
{
	size_t bytes = (size_t)chunk_samples * 2, n;
	unsigned char *pcm = xmalloc(bytes);
	long k, j, t;
	double v;

	tails = xmalloc(sizeof *tails * (size_t)nchunks);
	tail_len = xmalloc(sizeof *tail_len * (size_t)nchunks);
	for (k = 0; k < nchunks; k++) {
		for (j = 0; j < chunk_samples; j++) {
			t = k * chunk_samples + j;
			v = 0.15 * sin(2 * M_PI * 440 * t / o.rate) +
			    0.15 * sin(2 * M_PI * 1000 * t / o.rate);
			pcm[2 * j] = (unsigned char)((int16_t)lrint(v * 32767) & 0xff);
			pcm[2 * j + 1] = (unsigned char)(((int16_t)lrint(v *
			    32767) >> 8) & 0xff);
		}
		tails[k] = xmalloc(BASE64_ENCODED_LEN(bytes) + 128);
		n = (size_t)sprintf(tails[k], ",\"media\":{\"chunk\":%ld,"
		    "\"timestamp\":\"%lld\",\"payload\":\"", k + 1,
		    (long long)k * chunk_samples * 1000 / o.rate);
		n += base64_encode(pcm, bytes, tails[k] + n);
		memcpy(tails[k] + n, "\"}}", 3);
		tail_len[k] = n + 3;
	}
	free(pcm);
}

/*
 * Send len bytes of p (borrowed) as one masked text (or close) frame.
 * The mask key is zero, so the payload goes as it is: pre-built messages
 * need no per-call masking.  A short write keeps the rest in c->tx.
 * Returns 0, or -1 when the connection failed.
 */
static int
send_frame(struct call *c, int opcode, const char *parts[], const size_t lens[],
    int nparts)
{
	static char *buf;
	static size_t cap;
	size_t len = 0, off, h;
	ssize_t w;
	int i;

	for (i = 0; i < nparts; i++)
		len += lens[i];
	if (cap < len + 14) {
		cap = len + 4096;
		free(buf);
		buf = xmalloc(cap);
	}
	buf[0] = (char)(0x80 | opcode);
	if (len < 126) {
		buf[1] = (char)(0x80 | len);
		h = 2;
	} else if (len < 65536) {
		buf[1] = (char)(0x80 | 126);
		buf[2] = (char)(len >> 8);
		buf[3] = (char)len;
		h = 4;
	} else {
		buf[1] = (char)(0x80 | 127);
		for (i = 0; i < 8; i++)
			buf[2 + i] = (char)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	memset(buf + h, 0, 4);		/* the mask key */
	off = h + 4;
	for (i = 0; i < nparts; i++) {
		memcpy(buf + off, parts[i], lens[i]);
		off += lens[i];
	}
	if (c->txlen > c->txoff) {	/* still behind: queue it all */
		w = 0;
	} else {
		w = write(c->fd, buf, off);
		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w < 0)
			w = 0;
	}
	if ((size_t)w < off) {
		size_t left = c->txlen - c->txoff;
		char *nt = xmalloc(left + off - (size_t)w);

		memcpy(nt, c->tx + c->txoff, left);
		memcpy(nt + left, buf + w, off - (size_t)w);
		free(c->tx);
		c->tx = nt;
		c->txlen = left + off - (size_t)w;
		c->txoff = 0;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){
		    .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)(c - calls) });
	}
	return 0;
}

static int
send_text(struct call *c, const char *s)
{
	const char *p[1] = { s };
	size_t l[1] = { strlen(s) };

	return send_frame(c, 1, p, l, 1);
}

static int ndone;

static void
call_end(struct call *c, int ok)
{
	if (c->state == ST_DONE)
		return;
	ndone++;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->ok = ok;
	c->state = ST_DONE;
}

static void
start_connect(struct call *c)
{
	int fd, one = 1;

	c->connect_us = now_us(CLOCK_REALTIME);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal_sys(EXIT_SYSTEM, "socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	c->state = ST_CONNECTING;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		warn_sys("connect");
		call_end(c, 0);
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &(struct epoll_event){
	    .events = EPOLLOUT, .data.u32 = (uint32_t)(c - calls) });
}

static void
call_id(const struct call *c, char *out, size_t len)
{
	snprintf(out, len, "%s-%ld", o.prefix, (long)(c - calls));
}

/* The handshake's 101 came: connected and start, then media is due. */
static int
send_start(struct call *c)
{
	char id[64], m[1024];

	call_id(c, id, sizeof id);
	if (send_text(c, "{\"event\":\"connected\"}") < 0)
		return -1;
	snprintf(m, sizeof m, "{\"event\":\"start\",\"sequence_number\":1,"
	    "\"stream_sid\":\"%s\",\"start\":{\"stream_sid\":\"%s\","
	    "\"call_sid\":\"%s\",\"account_sid\":\"load\",\"from\":\"ws-load\","
	    "\"to\":\"ws-load\",\"custom_parameters\":{},\"media_format\":"
	    "{\"encoding\":\"base64\",\"sample_rate\":\"%d\",\"bit_rate\":"
	    "\"%dkbps\"}}}", id, id, id, o.rate, o.rate * 16 / 1000);
	return send_text(c, m);
}

static int
send_media(struct call *c)
{
	char id[64], head[128];
	const char *p[2];
	size_t l[2];
	int64_t t = now_us(CLOCK_REALTIME);

	call_id(c, id, sizeof id);
	l[0] = (size_t)snprintf(head, sizeof head, "{\"event\":\"media\","
	    "\"sequence_number\":%ld,\"stream_sid\":\"%s\"", c->next + 2, id);
	p[0] = head;
	p[1] = tails[c->next];
	l[1] = tail_len[c->next];
	c->sent_us[c->next] = t;
	if (nlate == late_cap) {
		late_cap = late_cap ? 2 * late_cap : 65536;
		if ((late_us = realloc(late_us, late_cap * sizeof *late_us)) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
	}
	late_us[nlate++] = now_us(CLOCK_MONOTONIC) - c->due_us;
	msgs_sent++;
	return send_frame(c, 1, p, l, 2);
}

static int
send_stop(struct call *c)
{
	char id[64], m[512];
	const char *p[1];
	size_t l[1];
	static const char code[2] = { 0x03, (char)0xe8 };	/* 1000 */

	call_id(c, id, sizeof id);
	snprintf(m, sizeof m, "{\"event\":\"stop\",\"sequence_number\":%ld,"
	    "\"stream_sid\":\"%s\",\"stop\":{\"call_sid\":\"%s\","
	    "\"account_sid\":\"load\",\"reason\":\"callended\"}}",
	    nchunks + 2, id, id);
	if (send_text(c, m) < 0)
		return -1;
	p[0] = code;
	l[0] = 2;
	return send_frame(c, 8, p, l, 1);
}

/* A timer fired for c (popped from the heap). */
static void
due(struct call *c, int64_t mono)
{
	if (c->state == ST_WAIT) {
		start_connect(c);
		return;
	}
	if (c->state == ST_CLOSING) {	/* the close never came */
		call_end(c, 0);
		return;
	}
	if (c->state != ST_MEDIA)
		return;
	if (send_media(c) < 0) {
		call_end(c, 0);
		return;
	}
	c->next++;
	if (c->next < nchunks) {
		c->due_us += (int64_t)o.msg_ms * 1000;
		heap_push((int)(c - calls));
		return;
	}
	if (send_stop(c) < 0) {
		call_end(c, 0);
		return;
	}
	c->state = ST_CLOSING;
	c->due_us = mono + CLOSE_GRACE_US;
	heap_push((int)(c - calls));
}

/* Server frames after the handshake: skipped, but a close ends the call. */
static void
server_frames(struct call *c, const unsigned char *p, size_t n)
{
	uint64_t len;
	size_t h;
	int code;

	while (n > 0) {
		if (c->skip) {
			h = c->skip < n ? (size_t)c->skip : n;
			c->skip -= h;
			p += h;
			n -= h;
			continue;
		}
		if (n < 2)
			return;		/* a header cut by a read: rare, ignored */
		len = p[1] & 0x7f;
		h = 2;
		if (len == 126 && n >= 4) {
			len = (uint64_t)p[2] << 8 | p[3];
			h = 4;
		} else if (len == 127 && n >= 10) {
			len = 0;
			for (h = 2; h < 10; h++)
				len = len << 8 | p[h];
		}
		if ((p[0] & 0x0f) == 8) {
			code = len >= 2 && n >= h + 2 ? p[h] << 8 | p[h + 1] : 1005;
			if (code != 1000)
				warnx_("call %ld closed with %d",
				    (long)(c - calls), code);
			call_end(c, code == 1000 && c->state == ST_CLOSING);
			return;
		}
		c->skip = len;
		p += h;
		n -= h;
	}
}

static void
readable(struct call *c)
{
	unsigned char buf[4096];
	ssize_t r;
	char *e;

	for (;;) {
		r = read(c->fd, buf, sizeof buf);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			if (c->state != ST_DONE) {
				if (c->state != ST_CLOSING)
					warnx_("call %ld: connection closed "
					    "early", (long)(c - calls));
				call_end(c, 0);
			}
			return;
		}
		if (c->state == ST_HANDSHAKE) {
			if (c->rxlen + (size_t)r >= sizeof c->rx) {
				call_end(c, 0);
				return;
			}
			memcpy(c->rx + c->rxlen, buf, (size_t)r);
			c->rxlen += (size_t)r;
			c->rx[c->rxlen] = '\0';
			if ((e = strstr(c->rx, "\r\n\r\n")) == NULL)
				continue;
			if (strncmp(c->rx, "HTTP/1.1 101", 12) != 0) {
				*strchr(c->rx, '\r') = '\0';
				warnx_("call %ld refused: %s", (long)(c - calls),
				    c->rx);
				call_end(c, 0);
				return;
			}
			c->hs_us = now_us(CLOCK_REALTIME) - c->connect_us;
			c->state = ST_MEDIA;
			if (send_start(c) < 0) {
				call_end(c, 0);
				return;
			}
			c->due_us = now_us(CLOCK_MONOTONIC);
			heap_push((int)(c - calls));
			e += 4;
			server_frames(c, (unsigned char *)e,
			    c->rxlen - (size_t)(e - c->rx));
		} else {
			server_frames(c, buf, (size_t)r);
		}
		if (c->state == ST_DONE)
			return;
	}
}

static void
writable(struct call *c)
{
	char req[1024];
	ssize_t w;
	int err = 0;
	socklen_t sl = sizeof err;

	if (c->state == ST_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 ||
		    err) {
			warnx_("call %ld: connect: %s", (long)(c - calls),
			    strerror(err));
			call_end(c, 0);
			return;
		}
		snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", o.path, o.host,
		    o.port);
		/* A 200-byte request always fits an empty socket buffer. */
		if (write(c->fd, req, strlen(req)) < 0) {
			call_end(c, 0);
			return;
		}
		c->state = ST_HANDSHAKE;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){
		    .events = EPOLLIN, .data.u32 = (uint32_t)(c - calls) });
		return;
	}
	while (c->txoff < c->txlen) {
		w = write(c->fd, c->tx + c->txoff, c->txlen - c->txoff);
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			call_end(c, 0);
			return;
		}
		c->txoff += (size_t)w;
	}
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){
	    .events = EPOLLIN, .data.u32 = (uint32_t)(c - calls) });
}

static void
run(void)
{
	struct epoll_event ev[256];
	int64_t t0, mono, wait;
	int i, n;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "epoll_create1");
	t0 = now_us(CLOCK_MONOTONIC);
	for (i = 0; i < o.n; i++) {
		calls[i].fd = -1;
		calls[i].due_us = t0 + (int64_t)o.ramp_ms * 1000 * i / o.n;
		calls[i].sent_us = sent + (size_t)i * (size_t)nchunks;
		heap_push(i);
	}
	for (;;) {
		mono = now_us(CLOCK_MONOTONIC);
		while (nheap > 0 && calls[heap[0]].due_us <= mono)
			due(&calls[heap_pop()], mono);
		if (ndone == o.n)
			break;
		wait = nheap > 0 ? calls[heap[0]].due_us - mono : 1000000;
		if (wait < 0)
			wait = 0;
		/* ms timeout: round up, then the loop sends what is due. */
		n = epoll_wait(ep, ev, 256, (int)((wait + 999) / 1000));
		if (n < 0 && errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "epoll_wait");
		for (i = 0; i < n; i++) {
			struct call *c = &calls[ev[i].data.u32];

			if (c->state == ST_DONE)
				continue;
			if (ev[i].events & (EPOLLOUT | EPOLLERR))
				writable(c);
			if (c->state != ST_DONE &&
			    ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				readable(c);
		}
	}
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of v (n values, sorted here), in ms. */
static double
pct_ms(int64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return -1;
	qsort(v, n, sizeof *v, cmp64);
	i = (size_t)ceil(q * (double)n);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return (double)v[i - 1] / 1000;
}

/* The call index of an id "prefix-N" in s (borrowed), or -1. */
static long
call_of(const char *s, size_t len)
{
	size_t pl = strlen(o.prefix);
	long long v;
	char tmp[32];

	if (len <= pl + 1 || len - pl - 1 >= sizeof tmp ||
	    memcmp(s, o.prefix, pl) != 0 || s[pl] != '-')
		return -1;
	memcpy(tmp, s + pl + 1, len - pl - 1);
	tmp[len - pl - 1] = '\0';
	if (parse_long(tmp, 0, o.n - 1, &v) < 0)
		return -1;
	return (long)v;
}

/* The string value of "key":"..." in s (n bytes); its length, or -1. */
static long
field(const char *s, size_t n, const char *key, const char **val)
{
	const char *p = memmem(s, n, key, strlen(key)), *e;

	if (p == NULL)
		return -1;
	p += strlen(key);
	e = memchr(p, '"', n - (size_t)(p - s));
	if (e == NULL)
		return -1;
	*val = p;
	return (long)(e - p);
}

/*
 * The entries of one stream in an XREAD reply (borrowed), in order, to
 * fn(t_us, data, len): t_us is the middle of the millisecond of the
 * entry's id (Redis's clock at XADD).  The last id goes into last.
 */
static void
entries(const redisReply *list, void (*fn)(int64_t, const char *, size_t),
    char *last, size_t lastsz)
{
	const redisReply *ent, *f;
	size_t i, j;

	for (i = 0; i < list->elements; i++) {
		ent = list->element[i];
		f = ent->element[1];
		for (j = 0; f && j + 1 < f->elements; j += 2)
			if (strcmp(f->element[j]->str, "data") == 0)
				fn(strtoll(ent->element[0]->str, NULL, 10) *
				    1000 + 500, f->element[j + 1]->str,
				    f->element[j + 1]->len);
		snprintf(last, lastsz, "%s", ent->element[0]->str);
	}
}

/* Filled by the reader, in shared memory. */
static struct results {
	volatile int done;	/* the callers are done (set by the parent) */
	volatile int started;	/* calls that got past the handshake */
	uint64_t frames;
	size_t nlat, lat_cap;
	int stops;
} *res;
static int64_t *lat;		/* shared, lat_cap entries */

static void
on_frame(int64_t t_us, const char *d, size_t n)
{
	const char *v;
	long len, ci, chunk;
	long long seq;
	uint64_t end;
	struct call *c;
	char tmp[24];

	if ((len = field(d, n, "\"interaction_id\":\"", &v)) < 0 ||
	    (ci = call_of(v, (size_t)len)) < 0)
		return;
	c = &calls[ci];
	if ((v = memmem(d, n, "\"seq\":", 6)) == NULL)
		return;
	v += 6;
	len = (long)strspn(v, "0123456789");
	if (len <= 0 || len >= (long)sizeof tmp)
		return;
	memcpy(tmp, v, (size_t)len);
	tmp[len] = '\0';
	seq = strtoll(tmp, NULL, 10);
	if ((uint64_t)seq < c->next_seq)	/* sent twice (a reconnect) */
		return;
	if ((uint64_t)seq > c->next_seq)
		c->holes++;
	c->next_seq = (uint64_t)seq + 1;
	if ((len = field(d, n, "\"audio\":\"", &v)) < 0)
		return;
	c->out_samples += ((uint64_t)len / 4 * 3 - (uint64_t)((len >= 2 &&
	    v[len - 1] == '=') + (len >= 2 && v[len - 2] == '='))) / 2;
	end = c->out_samples;
	res->frames++;
	if (end == 0)
		return;
	chunk = (long)((end - 1) * (uint64_t)o.rate / (uint64_t)o.out_rate /
	    (uint64_t)chunk_samples);
	if (chunk >= nchunks)
		chunk = nchunks - 1;
	if (c->sent_us[chunk] == 0)
		return;
	if (res->nlat < res->lat_cap)
		lat[res->nlat++] = t_us - c->sent_us[chunk];
}

static void
on_event(int64_t t_us, const char *d, size_t n)
{
	const char *v;
	long len, ci;

	if ((len = field(d, n, "\"interaction_id\":\"", &v)) < 0 ||
	    (ci = call_of(v, (size_t)len)) < 0)
		return;
	if (memmem(d, n, "\"event\":\"start\"", 15) != NULL)
		calls[ci].setup_us = t_us - calls[ci].connect_us;
	else if (memmem(d, n, "\"event\":\"stop\"", 14) != NULL)
		res->stops++;
}

/*
 * The reader (a child process): consumes the frames as an ASR worker
 * would, as they come, and trims what it has read, so Redis holds only
 * the last moments of audio however many calls run.  Ends when the
 * callers are done and every started call's stop event came, or 10 s
 * after they are done.  It reads every 200 ms (not XREAD BLOCK, which
 * would wake it, and Redis, for every frame); the latency comes from the
 * entry ids, not from when they are read.
 */
static void
reader(const char *host, int port)
{
	char aid[64] = "0-0", eid[64] = "0-0";
	const char *argv[8];
	redisContext *rc;
	redisReply *r;
	size_t i;
	int idle = 0, argc, got;

	if ((rc = redisConnect(host, port)) == NULL || rc->err)
		fatal(EXIT_SYSTEM, "redis: %s", rc ? rc->errstr : "?");
	for (;;) {
		argc = 0;
		argv[argc++] = "XREAD";
		argv[argc++] = "COUNT";
		argv[argc++] = "5000";
		argv[argc++] = "STREAMS";
		argv[argc++] = o.stream;
		if (o.events)
			argv[argc++] = o.events;
		argv[argc++] = aid;
		if (o.events)
			argv[argc++] = eid;
		r = redisCommandArgv(rc, argc, argv, NULL);
		if (r == NULL)
			fatal(EXIT_SYSTEM, "redis: %s", rc->errstr);
		if (r->type == REDIS_REPLY_ERROR)
			fatal(EXIT_SYSTEM, "redis: XREAD: %s", r->str);
		got = 0;
		for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *k = r->element[i];

			got += (int)k->element[1]->elements;
			if (strcmp(k->element[0]->str, o.stream) == 0)
				entries(k->element[1], on_frame, aid, sizeof aid);
			else
				entries(k->element[1], on_event, eid, sizeof eid);
		}
		freeReplyObject(r);
		if (got) {
			idle = 0;
			freeReplyObject(redisCommand(rc, "XTRIM %s MINID ~ %s",
			    o.stream, aid));
		}
		if (got >= 5000)
			continue;
		if (res->done && (res->stops >= res->started || ++idle >= 50))
			break;
		/* A read every 200 ms: a few commands a second, not one a frame. */
		usleep(200000);
	}
	redisFree(rc);
}

static void
parse_url(char *u)
{
	char *p, *colon;

	if (strncmp(u, "ws://", 5) != 0)
		usage_exit(USAGE);
	u += 5;
	p = strchr(u, '/');
	o.path = p ? strdup(p) : "/";
	if (p)
		*p = '\0';
	if (*u == '[') {
		o.host = u + 1;
		if ((p = strchr(u, ']')) == NULL)
			usage_exit(USAGE);
		*p++ = '\0';
		colon = *p == ':' ? p : NULL;
	} else {
		o.host = u;
		colon = strrchr(u, ':');
	}
	if (colon) {
		*colon = '\0';
		o.port = colon + 1;
	} else
		o.port = "80";
}

int
main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct rusage ru;
	struct rlimit rl;
	pid_t rpid = -1;
	int64_t *hs, *setup;
	size_t nhs = 0, nsetup = 0;
	uint64_t want, lost = 0;
	int ch, ok = 0, short_calls = 0, err, i, port = 0, st;
	double cpu;
	char host[256];

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "e:i:k:m:n:o:R:r:s:x:")) != -1) {
		switch (ch) {
		case 'e': o.events = optarg; break;
		case 'i': o.prefix = optarg; break;
		case 'k': o.stream = optarg; break;
		case 'm': o.msg_ms = (int)opt_int("-m", optarg, 1, 10000); break;
		case 'n': o.n = (int)opt_int("-n", optarg, 1, 100000); break;
		case 'o': o.out_rate = (int)opt_int("-o", optarg, RATE_MIN, RATE_MAX); break;
		case 'R': o.ramp_ms = (int)opt_int("-R", optarg, 0, 3600000); break;
		case 'r': o.rate = (int)opt_int("-r", optarg, RATE_MIN, RATE_MAX); break;
		case 's': o.secs = (int)opt_int("-s", optarg, 1, 86400); break;
		case 'x': o.redis = optarg; break;
		default: usage_exit(USAGE);
		}
	}
	if (optind != argc - 1 || (o.redis && !o.stream) ||
	    (long)o.rate * o.msg_ms % 1000)
		usage_exit(USAGE);
	parse_url(argv[optind]);
	if ((err = getaddrinfo(o.host, o.port, &hints, &ai)) != 0)
		fatal(EXIT_USAGE, "%s: %s", o.host, gai_strerror(err));
	/* Every call is a descriptor: take the hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	chunk_samples = (long)o.rate * o.msg_ms / 1000;
	nchunks = (long)o.secs * 1000 / o.msg_ms;
	build_tails();
	calls = shared(sizeof *calls * (size_t)o.n);
	heap = xmalloc(sizeof *heap * (size_t)o.n);
	res = shared(sizeof *res);
	if (o.redis) {
		/* redis://host:port only: the bench's private server. */
		if (sscanf(o.redis, "redis://%255[^:/]:%d", host, &port) != 2)
			fatal(EXIT_USAGE, "-x: want redis://host:port");
		/* Two frames a message at most (a short first, a last bit). */
		res->lat_cap = (size_t)o.n * (size_t)(2 * nchunks + 2);
		lat = shared(res->lat_cap * sizeof *lat);
		sent = shared(sizeof(int64_t) * (size_t)o.n * (size_t)nchunks);
		fflush(stdout);
		if ((rpid = fork()) < 0)
			fatal_sys(EXIT_SYSTEM, "fork");
		if (rpid == 0) {
			reader(host, port);
			_exit(0);
		}
	} else
		sent = xmalloc(sizeof(int64_t) * (size_t)o.n * (size_t)nchunks);

	run();
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	    (double)ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;

	hs = xmalloc(sizeof *hs * (size_t)o.n);
	for (i = 0; i < o.n; i++) {
		ok += calls[i].ok;
		if (calls[i].hs_us)
			hs[nhs++] = calls[i].hs_us;
	}
	printf("calls=%d ok=%d failed=%d msgs=%llu send_late_p99_ms=%.2f "
	    "cpu_us_per_msg=%.2f hs_p50_ms=%.2f hs_p99_ms=%.2f", o.n, ok,
	    o.n - ok, (unsigned long long)msgs_sent,
	    pct_ms(late_us, nlate, 0.99),
	    msgs_sent ? cpu / (double)msgs_sent : 0,
	    pct_ms(hs, nhs, 0.5), pct_ms(hs, nhs, 0.99));
	if (o.redis) {
		res->started = (int)nhs;
		res->done = 1;
		if (waitpid(rpid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			fatal(EXIT_SYSTEM, "the Redis reader failed");
		setup = xmalloc(sizeof *setup * (size_t)o.n);
		for (i = 0; i < o.n; i++) {
			want = ((uint64_t)nchunks * (uint64_t)chunk_samples *
			    2 * (uint64_t)o.out_rate + (uint64_t)o.rate) /
			    (2 * (uint64_t)o.rate);
			if (calls[i].out_samples < want || calls[i].holes) {
				short_calls++;
				lost += want > calls[i].out_samples ?
				    want - calls[i].out_samples : 0;
			}
			if (calls[i].setup_us)
				setup[nsetup++] = calls[i].setup_us;
		}
		printf(" frames=%llu lost_samples=%llu short_calls=%d "
		    "lat_p50_ms=%.2f lat_p99_ms=%.2f lat_max_ms=%.2f "
		    "setup_p50_ms=%.1f setup_p99_ms=%.1f setup_max_ms=%.1f",
		    (unsigned long long)res->frames, (unsigned long long)lost,
		    short_calls, pct_ms(lat, res->nlat, 0.5),
		    pct_ms(lat, res->nlat, 0.99), pct_ms(lat, res->nlat, 1), pct_ms(setup, nsetup, 0.5),
		    pct_ms(setup, nsetup, 0.99), pct_ms(setup, nsetup, 1));
	}
	printf("\n");
	if (fflush(stdout) == EOF)
		return EXIT_SYSTEM;
	return ok == o.n && short_calls == 0 ? 0 : 1;
}
