/*
 * exotel-encode - a bot's speech to the caller of a Voicebot call: reads
 * the bot's commands on stdin, one JSON message a line (what play-read(1)
 * writes: media with base64 PCM16LE at any rate, mark, clear, hangup), and
 * writes the Exotel (or Twilio) messages that play them on stdout, one a
 * line, as ws-accept(1) sends a handler's lines to the caller.
 *
 * Audio is resampled to the call's rate by resample(1), run as a
 * coprocess per utterance (its end of input flushes the converter, so the
 * utterance comes out whole and exact), μ-law encoded for a μ-law call, cut
 * into chunks Exotel accepts (multiples of 320 bytes, at least 3200 but
 * the last of an utterance, which is padded with silence to 320, at most
 * 100 KB and never a line longer than MAX_MESSAGE_BYTES) and paced: a
 * chunk leaves when the audio already sent runs less than the lead ahead
 * of the caller's playback.  A mark goes out after the audio before it
 * (the utterance's last chunk is padded so that it ends there); clear
 * drops everything queued and is sent at once; hangup waits until the
 * caller has heard what was queued (and its marks came back, a bounded
 * wait) and exits 0, which closes the call.
 *
 * With -E the call's events (exotel-decode -e) say which call this is
 * (the start event: stream, rate, codec, protocol), bring the caller's
 * mark echoes, and end the playback at the call's stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jv.h>

#include "base64.h"
#include "buf.h"
#include "clock.h"
#include "io.h"
#include "jsonget.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "setting.h"
#include "spawn.h"

#define USAGE "exotel-encode [-qv] [-c chunk-bytes] [-E fd] [-e encoding] " \
    "[-i rate] [-l lead-ms] [-p protocol] [-r rate] [-s stream-sid]"
#define HELP \
    "  -c chunk-bytes  bytes of audio a message (PLAY_CHUNK_BYTES, default 3200)\n" \
    "  -E fd           the call's events: start, mark echoes, stop\n" \
    "  -e encoding     the call's codec, pcm16 or mulaw (ENCODING, default pcm16)\n" \
    "  -i rate         stdin is raw PCM16LE at this rate, not commands\n" \
    "  -l lead-ms      audio sent ahead of the caller's playback (PLAY_LEAD_MS, default 100)\n" \
    "  -p protocol     exotel or twilio message shapes (PROTOCOL, default exotel)\n" \
    "  -q              warnings only\n" \
    "  -r rate         the call's sample rate (SAMPLE_RATE, default 8000)\n" \
    "  -s stream-sid   the call's stream (STREAM_SID)\n" \
    "  -v              debug messages\n"

/* Exotel's chunk rules, in payload bytes. */
#define ALIGN 320
#define CHUNK_MIN 3200
#define CHUNK_MAX 102400
/*
 * An open utterance with less than a chunk queued ends after this long
 * without media: longer than the spacing of a TTS that streams in real
 * time, which then still fills whole chunks.
 */
#define GAP_US 200000
/* After a hangup, how long the caller's mark echoes are waited for. */
#define MARK_WAIT_US 1000000
/* Stop reading commands while this much audio is queued. */
#define QUEUE_MAX_S 300
#define LINE_MAX_IN (64 << 20)

enum { CMD_MEDIA, CMD_MARK, CMD_HANGUP, CMD_END };
enum { M_END, M_MARK, M_HANGUP };

struct cmd {
	struct cmd *next;
	int kind;
	unsigned rate;		/* media */
	uint8_t *pcm;		/* media: owned PCM16LE */
	size_t n;
	char *name;		/* mark: owned */
};

struct marker {
	unsigned long long pos;	/* real payload bytes before it */
	int kind;
	char *name;		/* owned */
};

/* The coprocess converting the current utterance. */
struct rs {
	pid_t pid;		/* 0: none */
	int in, out;		/* our ends; -1 when closed */
	int ending;		/* close its input once w is written */
	unsigned rate;
	struct buf w;		/* PCM still to write to it */
	int carry;		/* an odd byte read back, or -1 */
};

static struct {
	/* the call */
	unsigned rate;
	int mulaw, twilio, started;
	char *sid;		/* owned */
	/* settings */
	size_t chunk, cmax;
	int64_t lead_us;
	unsigned raw_rate;
	int evfd;
	/* input */
	struct buf in;
	int in_open, in_raw_odd;
	uint8_t raw_odd;
	struct cmd *q, **qtail;
	size_t q_bytes;
	int64_t last_media_us;
	int utt_open;
	struct rs rs;
	/* output */
	struct buf pend;	/* payload bytes not yet sent */
	unsigned long long sent;	/* real payload bytes sent */
	struct marker *mk;
	size_t nmk, mkcap, mkhead;
	int playing;
	int64_t t0_us, sent_us;	/* playback clock: audio sent since t0 */
	unsigned long long seq, chunks, out_ms_bytes;
	unsigned long marks_sent, marks_back;
	int hangup_queued;
	int64_t hang_deadline;
	int stopped;		/* the call's stop event came */
	/* events */
	struct buf ev;
	int ev_open;
	unsigned long long msgs, bytes_out, clears;
} s;

static int64_t wake_us;		/* the earliest time pace() wants a call */

static void
want_wake(int64_t t)
{
	if (wake_us < 0 || t < wake_us)
		wake_us = t;
}

/* Bytes of payload a second at the call's rate and codec. */
static unsigned
payload_rate(void)
{
	return s.rate * (s.mulaw ? 1 : 2);
}

static int64_t
bytes_us(unsigned long long n)
{
	return (int64_t)(n * 1000000ULL / payload_rate());
}

/* --- output messages ---------------------------------------------------- */

static void
emit(struct buf *b)
{
	buf_add(b, "\n", 1);
	if (write_all(1, b->p, b->len) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write stdout");
	s.msgs++;
	s.bytes_out += b->len;
	b->len = 0;
}

static void
head(struct buf *b, const char *event)
{
	buf_adds(b, "{\"event\":\"");
	buf_adds(b, event);
	buf_adds(b, s.twilio ? "\",\"streamSid\":\"" : "\",\"stream_sid\":\"");
	buf_add_json(b, s.sid);
	buf_adds(b, "\"");
	if (!s.twilio && strcmp(event, "clear") != 0) {
		buf_adds(b, ",\"sequence_number\":\"");
		buf_add_u64(b, ++s.seq);
		buf_adds(b, "\"");
	}
}

/* Bytes of a message around its payload, for the line-length bound. */
static size_t
overhead(void)
{
	return 160 + 6 * strlen(s.sid);
}

static void
send_media(const uint8_t *p, size_t n, size_t pad)
{
	static struct buf b, payload;
	size_t len = n + pad;

	payload.len = 0;
	buf_add(&payload, p, n);
	if (pad) {
		if (buf_reserve(&payload, pad) < 0)
			fatal(EXIT_SYSTEM, "out of memory");
		memset(payload.p + n, s.mulaw ? 0xff : 0, pad);
		payload.len += pad;
	}
	head(&b, "media");
	buf_adds(&b, ",\"media\":{");
	if (!s.twilio) {
		buf_adds(&b, "\"chunk\":\"");
		buf_add_u64(&b, s.chunks + 1);
		buf_adds(&b, "\",\"timestamp\":\"");
		buf_add_u64(&b, s.out_ms_bytes * 1000 / payload_rate());
		buf_adds(&b, "\",");
	}
	buf_adds(&b, "\"payload\":\"");
	if (buf_reserve(&b, BASE64_ENCODED_LEN(len) + 1) < 0)
		fatal(EXIT_SYSTEM, "out of memory");
	b.len += base64_encode(payload.p, len, b.p + b.len);
	buf_adds(&b, "\"}}");
	emit(&b);
	s.chunks++;
	s.out_ms_bytes += len;
	debug("media chunk=%llu bytes=%zu pad=%zu", s.chunks, len, pad);
}

static void
send_mark(const char *name)
{
	static struct buf b;

	head(&b, "mark");
	buf_adds(&b, ",\"mark\":{\"name\":\"");
	buf_add_json(&b, name);
	buf_adds(&b, "\"}}");
	emit(&b);
	s.marks_sent++;
}

static void
send_clear(void)
{
	static struct buf b;

	head(&b, "clear");
	buf_adds(&b, "}");
	emit(&b);
	s.clears++;
}

/* --- the queue of what is to be played ---------------------------------- */

static void
marker_add(int kind, char *name)
{
	if (s.nmk == s.mkcap) {
		s.mkcap = s.mkcap ? 2 * s.mkcap : 16;
		if ((s.mk = realloc(s.mk, s.mkcap * sizeof *s.mk)) == NULL)
			fatal(EXIT_SYSTEM, "out of memory");
	}
	s.mk[s.nmk++] = (struct marker){ s.sent + s.pend.len, kind, name };
}

static struct marker *
marker_first(void)
{
	return s.mkhead < s.nmk ? &s.mk[s.mkhead] : NULL;
}

static void
marker_pop(void)
{
	free(s.mk[s.mkhead].name);
	if (++s.mkhead == s.nmk)
		s.mkhead = s.nmk = 0;
}

/* Append PCM16LE at the call's rate (borrowed), in the call's codec. */
static void
pend_pcm(const uint8_t *p, size_t n)
{
	if (!s.mulaw) {
		buf_add(&s.pend, p, n);
		return;
	}
	if (buf_reserve(&s.pend, n / 2) < 0)
		fatal(EXIT_SYSTEM, "out of memory");
	ulaw_encode(p, n / 2, (uint8_t *)s.pend.p + s.pend.len);
	s.pend.len += n / 2;
}

static void
cmd_free(struct cmd *c)
{
	free(c->pcm);
	free(c->name);
	free(c);
}

static struct cmd *
cmd_new(int kind)
{
	struct cmd *c = calloc(1, sizeof *c);

	if (c == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	c->kind = kind;
	return c;
}

static void
q_push(struct cmd *c)
{
	c->next = NULL;
	*s.qtail = c;
	s.qtail = &c->next;
	s.q_bytes += c->n;
}

static void
q_push_front(struct cmd *c)
{
	c->next = s.q;
	s.q = c;
	if (s.qtail == &s.q)
		s.qtail = &c->next;
	s.q_bytes += c->n;
}

static struct cmd *
q_pop(void)
{
	struct cmd *c = s.q;

	if (c) {
		s.q = c->next;
		if (s.q == NULL)
			s.qtail = &s.q;
		s.q_bytes -= c->n;
	}
	return c;
}

/* --- the resampler coprocess -------------------------------------------- */

/*
 * The converter for rate: RESAMPLE_QUALITY when set, else resample's own
 * FIR when the ratio allows it (out/in reduces to L/M with L <= 1024, as
 * 24000 to 8000 or 16000 does), else libsamplerate's medium.  Measured
 * here, 20 s of a 24 kHz bot to an 8 kHz call: fir 0.02 s of CPU, medium
 * 0.18 s, both 92 dB SNR on a 440 Hz tone.
 */
static void
rs_start(unsigned rate)
{
	char in[16], out[16];
	char *argv[] = { "resample", "-i", in, "-o", out, NULL, NULL, NULL };
	struct spawn sp = { .argv = argv, .new_pgrp = 0 };
	unsigned g = rate, h = s.rate, t;
	int a[2], b[2];

	snprintf(in, sizeof in, "%u", rate);
	snprintf(out, sizeof out, "%u", s.rate);
	while (h) {
		t = g % h;
		g = h;
		h = t;
	}
	if (env_get("RESAMPLE_QUALITY") == NULL) {
		argv[5] = "-q";
		argv[6] = s.rate / g <= 1024 ? "fir" : "medium";
	}
	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to create a pipe");
	sp.fds[sp.nfds++] = (struct spawn_fd){ a[0], 0 };
	sp.fds[sp.nfds++] = (struct spawn_fd){ b[1], 1 };
	if ((s.rs.pid = spawn_child(&sp)) < 0)
		fatal_sys(spawn_exec_status(errno), "unable to run resample");
	close(a[0]);
	close(b[1]);
	s.rs.in = a[1];
	s.rs.out = b[0];
	fd_nonblock(s.rs.in, 1);
	fd_nonblock(s.rs.out, 1);
	s.rs.rate = rate;
	s.rs.carry = -1;
	s.rs.ending = 0;
	s.rs.w.len = 0;
	debug("resample pid=%ld in=%u out=%u", (long)s.rs.pid, rate, s.rate);
}

/*
 * No more input for this utterance: its end of input (once what is
 * queued for it is written) flushes the converter's last samples.
 */
static void
rs_end_input(void)
{
	s.rs.ending = 1;
	if (s.rs.in >= 0 && s.rs.w.len == 0) {
		close(s.rs.in);
		s.rs.in = -1;
	}
}

/* The converter is finishing: what comes next waits for its EOF. */
static int
rs_closing(void)
{
	return s.rs.pid && s.rs.ending;
}

static void
rs_reap(int kill_it)
{
	int ws, st;

	if (s.rs.in >= 0)
		close(s.rs.in);
	if (s.rs.out >= 0)
		close(s.rs.out);
	s.rs.in = s.rs.out = -1;
	if (kill_it)
		kill(s.rs.pid, SIGTERM);
	while (waitpid(s.rs.pid, &ws, 0) < 0)
		if (errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "unable to wait for resample");
	st = wait_status_code(ws);
	if (st != 0 && !kill_it)
		fatal(EXIT_SYSTEM, "resample failed status=%d", st);
	s.rs.pid = 0;
	s.rs.ending = 0;
	s.rs.w.len = 0;
}

static void process(void);

static void
rs_readable(void)
{
	uint8_t b[32768 + 1];
	size_t have = 0;
	ssize_t r;

	if (s.rs.carry >= 0) {
		b[have++] = (uint8_t)s.rs.carry;
		s.rs.carry = -1;
	}
	r = read(s.rs.out, b + have, sizeof b - 1 - have);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal_sys(EXIT_SYSTEM, "unable to read from resample");
	}
	if (r == 0) {
		rs_reap(0);
		process();	/* what waited for the utterance's end */
		return;
	}
	have += (size_t)r;
	if (have & 1)
		s.rs.carry = b[--have];
	pend_pcm(b, have);
}

static void
rs_writable(void)
{
	ssize_t r = write(s.rs.in, s.rs.w.p, s.rs.w.len);

	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal_sys(EXIT_SYSTEM, "unable to write to resample");
	}
	buf_consume(&s.rs.w, (size_t)r);
	if (s.rs.ending && s.rs.w.len == 0) {
		close(s.rs.in);
		s.rs.in = -1;
	}
}

/* --- commands, in order ------------------------------------------------- */

/*
 * The current utterance ends here: the resampler (if any) is told and
 * cmd (owned) waits for its last output; else the end is marked now and
 * cmd goes on.  Returns 1 when cmd had to wait (back at the queue's head).
 */
static int
end_utterance(struct cmd *c)
{
	if (s.rs.pid) {
		rs_end_input();
		q_push_front(c);
		return 1;
	}
	if (s.utt_open) {
		marker_add(M_END, NULL);
		s.utt_open = 0;
	}
	return 0;
}

/* Run the queued commands as far as the resampler lets them. */
static void
process(void)
{
	struct cmd *c;

	while (s.started && !rs_closing() && (c = q_pop()) != NULL) {
		switch (c->kind) {
		case CMD_MEDIA:
			if (s.rs.pid && s.rs.rate != c->rate) {
				/* Another rate: this converter ends first. */
				rs_end_input();
				q_push_front(c);
				return;
			}
			s.utt_open = 1;
			if (c->rate == s.rate) {
				pend_pcm(c->pcm, c->n);
			} else {
				if (s.rs.pid == 0)
					rs_start(c->rate);
				buf_add(&s.rs.w, c->pcm, c->n);
			}
			cmd_free(c);
			break;
		case CMD_END:
		case CMD_MARK:
		case CMD_HANGUP:
			if (end_utterance(c))
				return;
			if (c->kind == CMD_MARK) {
				marker_add(M_MARK, c->name);
				c->name = NULL;
			} else if (c->kind == CMD_HANGUP)
				marker_add(M_HANGUP, NULL);
			cmd_free(c);
			break;
		}
	}
}

/* Barge-in: everything queued goes, and the caller's player is cleared. */
static void
clear(void)
{
	struct cmd *c;
	size_t dropped = s.pend.len + s.q_bytes + s.rs.w.len;

	while ((c = q_pop()) != NULL)
		cmd_free(c);
	if (s.rs.pid)
		rs_reap(1);
	while (marker_first())
		marker_pop();
	s.sent += s.pend.len;
	s.pend.len = 0;
	s.utt_open = 0;
	s.playing = 0;
	s.marks_sent = s.marks_back = 0;
	if (s.started)
		send_clear();
	info("clear dropped_bytes=%zu", dropped);
}

/* --- stdin: the bot's commands ------------------------------------------ */

static unsigned
rate_of(jv v, unsigned def)
{
	long long r;
	jv t;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);

		jv_free(v);
		return d >= RATE_MIN && d <= RATE_MAX && d == (long long)d ?
		    (unsigned)d : 0;
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		t = v;
		r = 0;
		if (parse_long(jv_string_value(t), RATE_MIN, RATE_MAX, &r) < 0)
			r = 0;
		jv_free(t);
		return (unsigned)r;
	}
	jv_free(v);
	return def;
}

static void
command(const char *line, size_t n, unsigned long lineno)
{
	jv v, ev, a;
	struct cmd *c;
	const char *e;
	long dec;

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	v = jv_parse_sized(line, (int)n);
	if (!jv_is_valid(v) || jv_get_kind(v) != JV_KIND_OBJECT) {
		warnx_("command line=%lu: not a JSON object", lineno);
		jv_free(v);
		return;
	}
	ev = json_get(v, "event");
	e = jv_get_kind(ev) == JV_KIND_STRING ? jv_string_value(ev) : "";
	if (s.hangup_queued) {
		debug("command line=%lu after hangup: ignored", lineno);
	} else if (strcmp(e, "media") == 0) {
		a = json_get(v, "audio");
		if (jv_get_kind(a) != JV_KIND_STRING) {
			jv_free(a);
			a = json_get(v, "payload");
		}
		c = cmd_new(CMD_MEDIA);
		c->rate = rate_of(json_get(v, "sample_rate"), 24000);
		if (jv_get_kind(a) != JV_KIND_STRING || c->rate == 0) {
			warnx_("command line=%lu: media without audio or with "
			    "a bad sample_rate", lineno);
			cmd_free(c);
		} else {
			size_t len = (size_t)jv_string_length_bytes(jv_copy(a));

			if ((c->pcm = malloc(BASE64_DECODED_MAX(len))) == NULL)
				fatal(EXIT_SYSTEM, "out of memory");
			dec = base64_decode(jv_string_value(a), len, c->pcm);
			if (dec < 0) {
				warnx_("command line=%lu: audio is not base64",
				    lineno);
				cmd_free(c);
			} else {
				c->n = (size_t)dec & ~(size_t)1;
				s.last_media_us = mono_us();
				q_push(c);
			}
		}
		jv_free(a);
	} else if (strcmp(e, "mark") == 0) {
		a = json_get(v, "name");
		if (jv_get_kind(a) != JV_KIND_STRING) {
			jv_free(a);
			a = json_get(json_get(v, "mark"), "name");
		}
		c = cmd_new(CMD_MARK);
		c->name = strdup(jv_get_kind(a) == JV_KIND_STRING ?
		    jv_string_value(a) : "");
		if (c->name == NULL)
			fatal(EXIT_SYSTEM, "out of memory");
		jv_free(a);
		q_push(c);
	} else if (strcmp(e, "clear") == 0) {
		clear();
	} else if (strcmp(e, "hangup") == 0) {
		q_push(cmd_new(CMD_HANGUP));
		s.hangup_queued = 1;
	} else {
		char show[LOGSAFE_SIZE(32)];

		warnx_("command line=%lu: unknown event=%s", lineno,
		    logsafe(e, show, sizeof show));
	}
	jv_free(ev);
	jv_free(v);
}

static void
stdin_readable(void)
{
	static unsigned long lineno;
	char b[65536], *nl;
	size_t off, k;
	ssize_t r;
	struct cmd *c;

	r = read(0, b, sizeof b);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal_sys(EXIT_SYSTEM, "unable to read stdin");
	}
	if (r == 0) {
		s.in_open = 0;
		if (s.in.len)
			command(s.in.p, s.in.len, ++lineno);
		s.in.len = 0;
		/* The end of the commands: play what is queued, then end. */
		if (!s.hangup_queued) {
			q_push(cmd_new(CMD_HANGUP));
			s.hangup_queued = 1;
		}
		return;
	}
	if (s.raw_rate) {
		c = cmd_new(CMD_MEDIA);
		c->rate = s.raw_rate;
		if ((c->pcm = malloc((size_t)r + 1)) == NULL)
			fatal(EXIT_SYSTEM, "out of memory");
		k = 0;
		if (s.in_raw_odd)
			c->pcm[k++] = s.raw_odd;
		memcpy(c->pcm + k, b, (size_t)r);
		k += (size_t)r;
		s.in_raw_odd = k & 1;
		if (s.in_raw_odd)
			s.raw_odd = c->pcm[--k];
		c->n = k;
		s.last_media_us = mono_us();
		q_push(c);
		return;
	}
	for (off = 0; off < (size_t)r; off += k + 1) {
		nl = memchr(b + off, '\n', (size_t)r - off);
		k = nl ? (size_t)(nl - b) - off : (size_t)r - off;
		if (s.in.len + k > LINE_MAX_IN)
			fatal(EXIT_BADINPUT, "command line=%lu longer than %d "
			    "bytes", lineno + 1, LINE_MAX_IN);
		if (nl == NULL) {
			buf_add(&s.in, b + off, k);
			break;
		}
		if (s.in.len) {
			buf_add(&s.in, b + off, k);
			command(s.in.p, s.in.len, ++lineno);
			s.in.len = 0;
		} else
			command(b + off, k, ++lineno);
	}
}

/* --- the call's events (-E) --------------------------------------------- */

static void
set_call(jv start)
{
	jv v;
	const char *e;
	unsigned r;

	v = json_get(start, "stream_sid");
	if (s.sid == NULL && jv_get_kind(v) == JV_KIND_STRING &&
	    (s.sid = strdup(jv_string_value(v))) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	jv_free(v);
	if (s.rate == 0 && (r = rate_of(json_get(start, "sample_rate"), 0)))
		s.rate = r;
	v = json_get(start, "encoding");
	e = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
	if (s.mulaw < 0)
		s.mulaw = strstr(e, "law") != NULL;
	jv_free(v);
	v = json_get(start, "protocol");
	e = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
	if (s.twilio < 0)
		s.twilio = strcmp(e, "twilio") == 0;
	jv_free(v);
}

static void call_known(void);

static void
event(const char *line, size_t n)
{
	jv v, ev;
	const char *e;

	v = jv_parse_sized(line, (int)n);
	if (!jv_is_valid(v) || jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return;
	}
	ev = json_get(v, "event");
	e = jv_get_kind(ev) == JV_KIND_STRING ? jv_string_value(ev) : "";
	if (strcmp(e, "start") == 0 && !s.started) {
		set_call(v);
		call_known();
	} else if (strcmp(e, "mark") == 0) {
		s.marks_back++;
		debug("mark echoed back=%lu sent=%lu", s.marks_back,
		    s.marks_sent);
	} else if (strcmp(e, "stop") == 0) {
		s.stopped = 1;
	}
	jv_free(ev);
	jv_free(v);
}

static void
events_readable(void)
{
	char b[16384], *nl;
	size_t off, k;
	ssize_t r;

	r = read(s.evfd, b, sizeof b);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal_sys(EXIT_SYSTEM, "unable to read events descriptor %d",
		    s.evfd);
	}
	if (r == 0) {
		s.ev_open = 0;
		if (!s.stopped)
			fatal(EXIT_SYSTEM, "the call's events ended without a "
			    "stop (the ingest side failed?)");
		return;
	}
	for (off = 0; off < (size_t)r; off += k + 1) {
		nl = memchr(b + off, '\n', (size_t)r - off);
		k = nl ? (size_t)(nl - b) - off : (size_t)r - off;
		if (s.ev.len + k <= 1 << 20)
			buf_add(&s.ev, b + off, k);
		if (nl == NULL)
			break;
		event(s.ev.p, s.ev.len);
		s.ev.len = 0;
	}
}

/* --- pacing ------------------------------------------------------------- */

static size_t
pad320(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static void __attribute__((noreturn))
finish(const char *why)
{
	info("done reason=%s messages=%llu chunks=%llu audio_ms=%llu "
	    "marks=%lu echoed=%lu clears=%llu", why, s.msgs, s.chunks,
	    s.started ? s.out_ms_bytes * 1000 / payload_rate() : 0,
	    s.marks_sent, s.marks_back, s.clears);
	if (s.rs.pid)
		rs_reap(1);
	exit(close_stdout() < 0 ? EXIT_SYSTEM : EXIT_OK);
}

/* Send what is due; ask for a wake-up when more will be. */
static void
pace(void)
{
	struct marker *m;
	struct cmd *c;
	size_t limit, n, fp;
	int64_t now, ahead;
	int final;

	if (!s.started)
		return;
	for (;;) {
		now = mono_us();
		ahead = s.playing ? s.t0_us + s.sent_us - now : 0;
		if (s.playing && ahead <= 0)
			s.playing = 0;
		m = marker_first();
		if (m && m->pos == s.sent) {
			if (m->kind == M_END) {
				marker_pop();
				continue;
			}
			if (m->kind == M_MARK) {
				send_mark(m->name);
				marker_pop();
				continue;
			}
			/* hangup: once heard, and its marks are back */
			if (s.hang_deadline == 0)
				s.hang_deadline = now + (ahead > 0 ? ahead : 0) +
				    MARK_WAIT_US;
			if (!s.playing && (s.evfd < 0 ||
			    s.marks_back >= s.marks_sent ||
			    now >= s.hang_deadline))
				finish("hangup");
			want_wake(s.playing ? now + ahead : s.hang_deadline);
			return;
		}
		limit = m ? (size_t)(m->pos - s.sent) : s.pend.len;
		final = m != NULL;
		if (limit == 0)
			return;
		if (s.playing && ahead > s.lead_us) {
			want_wake(now + ahead - s.lead_us);
			return;
		}
		if (final) {
			fp = pad320(limit);
			if (fp <= 2 * CHUNK_MIN && fp <= s.cmax)
				/*
				 * The utterance's last 320 bytes go alone,
				 * sent as late as the lead allows: what the
				 * caller has not heard when a hangup or the
				 * next utterance comes stays one lead long.
				 */
				n = fp >= CHUNK_MIN + ALIGN ? fp - ALIGN : limit;
			else
				n = limit < s.chunk ? limit / ALIGN * ALIGN :
				    s.chunk;
		} else if (limit >= s.chunk) {
			n = s.chunk;
		} else {
			/* Less than a chunk: wait for more, or end here. */
			if (s.utt_open && !rs_closing() && s.rs.w.len == 0 &&
			    s.q == NULL && now - s.last_media_us >= GAP_US) {
				c = cmd_new(CMD_END);
				if (end_utterance(c))
					return;	/* goes on at the converter's EOF */
				cmd_free(c);
				continue;
			}
			if (s.utt_open)
				want_wake(s.last_media_us + GAP_US);
			return;
		}
		send_media((const uint8_t *)s.pend.p, n,
		    final && n == limit ? pad320(n) - n : 0);
		if (!s.playing) {
			s.playing = 1;
			s.t0_us = now;
			s.sent_us = 0;
		}
		s.sent_us += bytes_us(final && n == limit ? pad320(n) : n);
		buf_consume(&s.pend, n);
		s.sent += n;
	}
}

static int parse_encoding(const char *, const char *);

/* The call is known (options or its start event): audio can flow. */
static void
call_known(void)
{
	char show[LOGSAFE_SIZE(64)];
	const char *v;
	size_t fit;

	if (s.rate == 0 && (v = env_get("SAMPLE_RATE")) != NULL)
		s.rate = (unsigned)opt_int("SAMPLE_RATE", v, RATE_MIN,
		    RATE_MAX);
	if (s.mulaw < 0 && (v = env_get("ENCODING")) != NULL)
		s.mulaw = parse_encoding("ENCODING", v);
	if (s.twilio < 0 && (v = env_get("PROTOCOL")) != NULL)
		s.twilio = strcmp(v, "twilio") == 0;
	if (s.sid == NULL && (v = env_get("STREAM_SID")) != NULL &&
	    (s.sid = strdup(v)) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	if (s.rate == 0)
		s.rate = 8000;
	if (s.mulaw < 0)
		s.mulaw = 0;
	if (s.twilio < 0)
		s.twilio = 0;
	if (s.sid == NULL && (s.sid = strdup("")) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	/* The longest chunk whose message fits in one WebSocket message. */
	s.cmax = CHUNK_MAX;
	fit = (size_t)setting_int(NULL, NULL, "MAX_MESSAGE_BYTES", 1024,
	    64 << 20, 256 << 10);
	fit = fit > overhead() ? (fit - overhead()) / 4 * 3 : 0;
	if (fit < s.cmax)
		s.cmax = fit / ALIGN * ALIGN;
	if (s.cmax < CHUNK_MIN) {
		warnx_("MAX_MESSAGE_BYTES leaves room for %zu bytes of audio a "
		    "message, less than Exotel's minimum chunk of %d",
		    s.cmax, CHUNK_MIN);
		if (s.cmax < ALIGN)
			fatal(EXIT_USAGE, "MAX_MESSAGE_BYTES too small for a "
			    "media message");
	}
	if (s.chunk > s.cmax)
		s.chunk = s.cmax;
	s.started = 1;
	info("call stream=%s rate=%u encoding=%s protocol=%s chunk=%zu "
	    "lead_ms=%lld", logsafe(s.sid, show, sizeof show), s.rate,
	    s.mulaw ? "mulaw" : "pcm16", s.twilio ? "twilio" : "exotel",
	    s.chunk, (long long)(s.lead_us / 1000));
	process();
}

/* --- main --------------------------------------------------------------- */

static int
parse_encoding(const char *name, const char *e)
{
	if (strcasecmp(e, "pcm16") == 0 || strcasecmp(e, "raw") == 0 ||
	    strcasecmp(e, "audio/x-raw") == 0 || strcasecmp(e, "slin") == 0)
		return 0;
	if (strcasecmp(e, "mulaw") == 0 || strcasecmp(e, "ulaw") == 0 ||
	    strcasecmp(e, "audio/x-mulaw") == 0)
		return 1;
	fatal(EXIT_USAGE, "%s: unknown encoding %s (want pcm16 or mulaw)",
	    name, e);
}

/* Enough is queued: commands wait in the pipe (a clear behind them too). */
static int
queue_full(void)
{
	size_t max = (size_t)QUEUE_MAX_S * 48000;

	return s.q_bytes + s.rs.w.len >= max ||
	    (s.started && s.pend.len >= (size_t)QUEUE_MAX_S * payload_rate());
}

static void
loop(void)
{
	struct pollfd p[4];
	int np, i_in, i_rin, i_rout, i_ev, timeout;
	int64_t now;

	for (;;) {
		wake_us = -1;
		pace();
		if (s.stopped)
			finish("stop");
		np = 0;
		i_in = i_rin = i_rout = i_ev = -1;
		if (s.in_open && !s.hangup_queued && !queue_full()) {
			i_in = np;
			p[np++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		}
		if (s.rs.pid && s.rs.w.len && s.rs.in >= 0) {
			i_rin = np;
			p[np++] = (struct pollfd){ .fd = s.rs.in,
			    .events = POLLOUT };
		}
		if (s.rs.pid) {
			i_rout = np;
			p[np++] = (struct pollfd){ .fd = s.rs.out,
			    .events = POLLIN };
		}
		if (s.ev_open) {
			i_ev = np;
			p[np++] = (struct pollfd){ .fd = s.evfd,
			    .events = POLLIN };
		}
		now = mono_us();
		timeout = wake_us < 0 ? -1 : wake_us <= now ? 0 :
		    (int)((wake_us - now + 999) / 1000);
		if (np == 0 && timeout < 0) {
			if (!s.started)
				fatal(EXIT_BADINPUT, "no call: the events "
				    "ended before a start");
			finish("end");
		}
		if (poll(p, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal_sys(EXIT_SYSTEM, "poll");
		}
		if (i_ev >= 0 && p[i_ev].revents)
			events_readable();
		if (i_in >= 0 && p[i_in].revents)
			stdin_readable();
		if (i_rin >= 0 && p[i_rin].revents)
			rs_writable();
		if (i_rout >= 0 && s.rs.pid && p[i_rout].revents)
			rs_readable();
		process();
	}
}

int
main(int argc, char **argv)
{
	const char *o_chunk = NULL, *o_enc = NULL, *o_lead = NULL,
	    *o_proto = NULL, *o_rate = NULL, *o_sid = NULL;
	int c;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	s.evfd = -1;
	s.mulaw = s.twilio = -1;
	while ((c = getopt(argc, argv, "c:E:e:hi:l:p:qr:s:v")) != -1) {
		switch (c) {
		case 'c':
			o_chunk = optarg;
			break;
		case 'E':
			s.evfd = opt_int("-E", optarg, 0, 1023);
			break;
		case 'e':
			o_enc = optarg;
			break;
		case 'i':
			s.raw_rate = (unsigned)opt_int("-i", optarg, RATE_MIN,
			    RATE_MAX);
			break;
		case 'l':
			o_lead = optarg;
			break;
		case 'p':
			o_proto = optarg;
			break;
		case 'q':
			msg_verbosity = 0;
			break;
		case 'r':
			o_rate = optarg;
			break;
		case 's':
			o_sid = optarg;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (optind != argc)
		usage_exit(USAGE);
	signal(SIGPIPE, SIG_IGN);
	s.chunk = (size_t)setting_int("-c", o_chunk, "PLAY_CHUNK_BYTES",
	    CHUNK_MIN, CHUNK_MAX, CHUNK_MIN);
	if (s.chunk % ALIGN)
		fatal(EXIT_USAGE, "%s: %zu is not a multiple of %d",
		    o_chunk ? "-c" : "PLAY_CHUNK_BYTES", s.chunk, ALIGN);
	s.lead_us = 1000 * setting_int("-l", o_lead, "PLAY_LEAD_MS", 0, 5000,
	    100);
	/*
	 * Options win; with -E the start event comes next, the environment
	 * (which may name the URL's rate, not the call's) only after it.
	 */
	if (o_rate)
		s.rate = (unsigned)opt_int("-r", o_rate, RATE_MIN, RATE_MAX);
	if (o_enc)
		s.mulaw = parse_encoding("-e", o_enc);
	if (o_proto) {
		if (strcmp(o_proto, "twilio") == 0)
			s.twilio = 1;
		else if (strcmp(o_proto, "exotel") == 0)
			s.twilio = 0;
		else
			fatal(EXIT_USAGE, "-p: unknown protocol %s (want "
			    "exotel or twilio)", o_proto);
	}
	if (o_sid && (s.sid = strdup(o_sid)) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	s.qtail = &s.q;
	s.rs.in = s.rs.out = -1;
	s.in_open = 1;
	if (s.evfd >= 0) {
		if (fcntl(s.evfd, F_GETFD) < 0)
			fatal(EXIT_USAGE, "-E %d: descriptor is not open",
			    s.evfd);
		s.ev_open = 1;
	} else
		call_known();
	loop();
	return 0;
}
