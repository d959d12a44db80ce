/*
 * exotel-peer - Exotel's side of a Voicebot call, for the tests of
 * voicebot-call(1): connects to a plain ws:// URL, sends connected and
 * start (Exotel's shapes, or Twilio's with -t), streams the caller's
 * audio in real time (a 300 Hz tone at the call's rate, 100 ms a
 * message) and plays what comes back as Exotel would: the audio is
 * queued and played in real time from its arrival, a mark is echoed
 * (as an inbound mark event) when the playback reaches it, clear drops
 * what is queued.  Stops sending and ends at the server's close, or
 * after -d seconds (then sends stop and waits for the close).
 *
 * Writes, in dir: "log", one line per message received, the time in ms
 * since the connect first:
 *   T media bytes=N                (N: payload bytes)
 *   T mark name=NAME
 *   T echo name=NAME               (when the echo was sent)
 *   T clear
 *   T other TEXT
 *   T close CODE
 * and "audio", the payloads received as PCM16LE (mu-law decoded with -u),
 * and "messages", every message received, one a line.
 *
 * usage: exotel-peer [-tu] [-d seconds] [-r rate] -o dir host port path
 * Exit 0 after a close, 1 on an unexpected end, 100 usage, 111 system.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "io.h"
#include "logline.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "wsframe.h"

#define USAGE "exotel-peer [-tu] [-d seconds] [-r rate] -o dir host port path"
#define SID "MZpeer0000000000000000000000000001"
#define CALL "CApeer0000000000000000000000000001"

static int sock = -1, logfd = -1, audiofd = -1, msgfd = -1;
static unsigned char rbuf[1 << 21];
static size_t rlen;
static int twilio, mulaw, closing;
static unsigned rate = 8000;
static int64_t t_start;

/* The playback: audio queued (in microseconds) and marks within it. */
static int64_t play_end_us;	/* when what was received ends playing */
static struct {
	int64_t at;
	char name[256];
} marks[256];
static int nmarks;

static long
now_ms(void)
{
	return (long)((mono_us() - t_start) / 1000);
}

static void
logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of the log, after the time since the connect. */
static void
logf_(const char *fmt, ...)
{
	char ms[32];
	va_list ap;

	snprintf(ms, sizeof ms, "%ld ", now_ms());
	va_start(ap, fmt);
	logline_v(logfd, ms, fmt, ap);
	va_end(ap);
}

static void
send_frame(int opcode, const void *data, size_t n)
{
	if (ws_send_frame(sock, opcode, 1, data, n) < 0 && !closing)
		fatal_sys(EXIT_SYSTEM, "write");
}

static void
send_text(const char *s)
{
	send_frame(1, s, strlen(s));
}

/* The value of "key":"..." in a flat message (test input, trusted). */
static int
field(const char *msg, size_t n, const char *key, char *out, size_t max)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	p = memmem(msg, n, pat, strlen(pat));
	if (p == NULL)
		return -1;
	p += strlen(pat);
	e = memchr(p, '"', n - (size_t)(p - msg));
	if (e == NULL || (size_t)(e - p) >= max)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return (int)(e - p);
}

static void
echo_due(void)
{
	int64_t now = mono_us();
	char msg[512];
	int i, k = 0;

	for (i = 0; i < nmarks; i++) {
		if (marks[i].at > now) {
			marks[k++] = marks[i];
			continue;
		}
		if (twilio)
			snprintf(msg, sizeof msg, "{\"event\":\"mark\","
			    "\"sequenceNumber\":\"9\",\"streamSid\":\"" SID
			    "\",\"mark\":{\"name\":\"%s\"}}", marks[i].name);
		else
			snprintf(msg, sizeof msg, "{\"event\":\"mark\","
			    "\"sequence_number\":\"9\",\"stream_sid\":\"" SID
			    "\",\"mark\":{\"name\":\"%s\"}}", marks[i].name);
		send_text(msg);
		logf_("echo name=%s", marks[i].name);
	}
	nmarks = k;
}

static void
received(const char *msg, size_t n)
{
	static unsigned char *dec;
	static size_t decsz;
	char ev[32], name[256];
	const char *p, *e;
	long len;
	int64_t now = mono_us();

	if (write_all(msgfd, msg, n) < 0 || write_all(msgfd, "\n", 1) < 0)
		fatal_sys(EXIT_SYSTEM, "messages");
	if (field(msg, n, "event", ev, sizeof ev) < 0) {
		logf_("other %.*s", (int)(n > 200 ? 200 : n), msg);
		return;
	}
	if (strcmp(ev, "media") == 0) {
		p = memmem(msg, n, "\"payload\":\"", 11);
		if (p == NULL) {
			logf_("other media without payload");
			return;
		}
		p += 11;
		e = memchr(p, '"', n - (size_t)(p - msg));
		if (e == NULL)
			return;
		if (decsz < (size_t)(e - p) * 2 + 8) {
			decsz = (size_t)(e - p) * 2 + 8;
			if ((dec = realloc(dec, decsz * 2)) == NULL)
				fatal(EXIT_SYSTEM, "out of memory");
		}
		len = base64_decode(p, (size_t)(e - p), dec);
		if (len < 0) {
			logf_("other bad base64");
			return;
		}
		logf_("media bytes=%ld", len);
		if (mulaw) {
			ulaw_decode(dec, (size_t)len, dec + len);
			if (write_all(audiofd, dec + len, 2 * (size_t)len) < 0)
				fatal_sys(EXIT_SYSTEM, "audio");
		} else if (write_all(audiofd, dec, (size_t)len) < 0)
			fatal_sys(EXIT_SYSTEM, "audio");
		if (play_end_us < now)
			play_end_us = now;
		play_end_us += (int64_t)len * 1000000 /
		    (rate * (mulaw ? 1 : 2));
	} else if (strcmp(ev, "mark") == 0) {
		if (field(msg, n, "name", name, sizeof name) < 0)
			name[0] = '\0';
		logf_("mark name=%s", name);
		if (nmarks < 256) {
			marks[nmarks].at = play_end_us > now ? play_end_us : now;
			snprintf(marks[nmarks].name, sizeof marks[0].name,
			    "%s", name);
			nmarks++;
		}
	} else if (strcmp(ev, "clear") == 0) {
		logf_("clear");
		play_end_us = now;
		nmarks = 0;
	} else
		logf_("other %.*s", (int)(n > 200 ? 200 : n), msg);
}

/* Handle whole frames in rbuf; returns 1 after the server's close. */
static int
frames(void)
{
	size_t h, len;
	int op, fin, code;

	while (ws_frame_head(rbuf, rlen, &op, &fin, &h, &len)) {
		if (op == 8) {
			code = len >= 2 ? rbuf[h] << 8 | rbuf[h + 1] : 1005;
			logf_("close %d", code);
			closing = 1;	/* the reply may find the socket gone */
			send_frame(8, "\x03\xe8", 2);
			return 1;
		}
		if (op == 9)
			send_frame(10, rbuf + h, len);
		else if (op == 1)
			received((char *)rbuf + h, len);
		memmove(rbuf, rbuf + h + len, rlen - h - len);
		rlen -= h + len;
	}
	return 0;
}

static void
handshake(const char *host, const char *port, const char *path)
{
	long head;
	int status;

	head = ws_upgrade(sock, host, port, path, NULL, 0, rbuf, sizeof rbuf,
	    &rlen, &status);
	if (head < 0)
		fatal(1, "connection closed in the handshake");
	if (status != 101)
		fatal(1, "upgrade refused: %.40s", (char *)rbuf);
	memmove(rbuf, rbuf + head, rlen - (size_t)head);
	rlen -= (size_t)head;
}

/* One 100 ms media message of a 300 Hz tone at 0.3 of full scale. */
static void
send_media(unsigned long long *k, int seq, int chunk)
{
	size_t ns = rate / 10, i;
	uint8_t pcm[2 * 19200], enc[19200];
	char *msg, b64[BASE64_ENCODED_LEN(2 * 19200) + 1];

	for (i = 0; i < ns; i++, (*k)++)
		le16_put(pcm + 2 * i, (int16_t)lrint(9830 *
		    sin(2 * M_PI * 300 * (double)*k / rate)));
	if (mulaw) {
		for (i = 0; i < ns; i++)
			enc[i] = pcm16_to_ulaw(le16_get(pcm + 2 * i));
		base64_encode(enc, ns, b64);
	} else
		base64_encode(pcm, 2 * ns, b64);
	if (twilio) {
		if (asprintf(&msg, "{\"event\":\"media\",\"sequenceNumber\":"
		    "\"%d\",\"media\":{\"track\":\"inbound\",\"chunk\":\"%d\","
		    "\"timestamp\":\"%d\",\"payload\":\"%s\"},\"streamSid\":\""
		    SID "\"}", seq, chunk, (chunk - 1) * 100, b64) < 0)
			fatal(EXIT_SYSTEM, "out of memory");
	} else if (asprintf(&msg, "{\"event\":\"media\",\"sequence_number\":"
	    "%d,\"stream_sid\":\"" SID "\",\"media\":{\"chunk\":%d,"
	    "\"timestamp\":\"%d\",\"payload\":\"%s\"}}", seq, chunk,
	    (chunk - 1) * 100, b64) < 0)
		fatal(EXIT_SYSTEM, "out of memory");
	send_text(msg);
	free(msg);
}

static void
send_start(void)
{
	char msg[1024];

	if (twilio) {
		send_text("{\"event\":\"connected\",\"protocol\":\"Call\","
		    "\"version\":\"1.0.0\"}");
		snprintf(msg, sizeof msg, "{\"event\":\"start\","
		    "\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":"
		    "\"ACpeer\",\"streamSid\":\"" SID "\",\"callSid\":\"" CALL
		    "\",\"tracks\":[\"inbound\"],\"mediaFormat\":{\"encoding\":"
		    "\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
		    "\"streamSid\":\"" SID "\"}");
	} else {
		send_text("{\"event\":\"connected\"}");
		snprintf(msg, sizeof msg, "{\"event\":\"start\","
		    "\"sequence_number\":1,\"stream_sid\":\"" SID "\","
		    "\"start\":{\"stream_sid\":\"" SID "\",\"call_sid\":\""
		    CALL "\",\"account_sid\":\"ACpeer\",\"from\":\"+910000\","
		    "\"to\":\"+910001\",\"media_format\":{\"encoding\":\"%s\","
		    "\"sample_rate\":\"%u\",\"bit_rate\":\"16\"}}}",
		    mulaw ? "audio/x-mulaw" : "raw/slin", rate);
	}
	send_text(msg);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	char path[4096];
	struct pollfd p;
	unsigned long long k = 0;
	int64_t next, end_at;
	long secs = 30;
	int c, seq = 2, chunk = 1, stopped = 0, t;
	ssize_t r;

	msg_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "d:o:r:tu")) != -1) {
		switch (c) {
		case 'd':
			secs = opt_int("-d", optarg, 1, 3600);
			break;
		case 'o':
			dir = optarg;
			break;
		case 'r':
			rate = (unsigned)opt_int("-r", optarg, 8000, 48000);
			break;
		case 't':
			twilio = mulaw = 1;
			break;
		case 'u':
			mulaw = 1;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (dir == NULL || argc - optind != 3)
		usage_exit(USAGE);
	if (mulaw)
		rate = 8000;
	snprintf(path, sizeof path, "%s/log", dir);
	logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(path, sizeof path, "%s/audio", dir);
	audiofd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(path, sizeof path, "%s/messages", dir);
	msgfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (logfd < 0 || audiofd < 0 || msgfd < 0)
		fatal_sys(EXIT_SYSTEM, "%s", dir);
	t_start = mono_us();
	sock = ws_connect(argv[optind], argv[optind + 1]);
	handshake(argv[optind], argv[optind + 1], argv[optind + 2]);
	send_start();
	next = mono_us();
	end_at = next + secs * 1000000LL;
	for (;;) {
		int64_t now = mono_us(), wake = next;

		echo_due();
		if (!stopped && now >= end_at) {
			send_text(twilio ? "{\"event\":\"stop\",\"streamSid\":\""
			    SID "\"}" : "{\"event\":\"stop\",\"stream_sid\":\""
			    SID "\",\"stop\":{\"reason\":\"callended\"}}");
			stopped = 1;
		}
		if (!stopped && now >= next) {
			send_media(&k, seq++, chunk++);
			next += 100000;
			continue;
		}
		for (t = 0; t < nmarks; t++)
			if (marks[t].at < wake)
				wake = marks[t].at;
		if (stopped)
			wake = nmarks ? wake : now + 1000000;
		p = (struct pollfd){ .fd = sock, .events = POLLIN };
		t = wake <= now ? 0 : (int)((wake - now) / 1000) + 1;
		if (poll(&p, 1, t) < 0 && errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "poll");
		if (p.revents) {
			r = read_retry(sock, rbuf + rlen, sizeof rbuf - rlen);
			if (r <= 0) {
				logf_("eof");
				return 1;
			}
			rlen += (size_t)r;
			if (frames())
				return 0;
		}
	}
}
