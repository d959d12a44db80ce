/*
 * exotel-decode - media-stream messages to raw PCM16LE.
 *
 * Reads on stdin the messages of one call, one JSON text a line (as
 * ws-accept writes them and captures store them; pretty-printed messages
 * spanning lines and CRLF ends are accepted too): Exotel AgentStream,
 * Twilio Media Streams, or the native protocol (a JSON start line, then
 * raw PCM16LE to EOF).  Writes the call's audio as PCM16LE mono on stdout
 * (-w: after a streaming WAV header), with silence where chunks are
 * missing so the PCM keeps the call's clock, and duplicates dropped.
 * With -e FD, writes the call's events (start, dtmf, mark, stop) as JSON
 * lines on FD; with "-- prog args...", runs prog once the call has
 * started, PCM on its stdin, and exits with its status.  Bad messages are
 * logged with their line number and skipped; stderr gets one line each.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "base64.h"
#include "call.h"
#include "chain.h"
#include "events.h"
#include "fastscan.h"
#include "frame.h"
#include "input.h"
#include "io.h"
#include "jsonscan.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "output.h"
#include "pcm.h"
#include "timeline.h"

static const char usage[] =
    "exotel-decode [-hLqvw] [-b ms] [-e fd] [-g ms] [-m bytes] [-r rate] "
    "[-- prog [arg ...]]";

#define TS_MAX 86400000LL	/* a timestamp past a day is corrupt */
#define CHUNK_MAX 2147483647LL
#define NOTSTREAM_LINES 8	/* bad lines before we call it not a stream */
#define NOTSTREAM_BYTES 65536
#define SAY_LIMIT 100		/* lines of one kind before we go quiet */

/* Kinds of warning, each with its own quota of log lines. */
enum {
	W_JSON, W_SHAPE, W_EVENT, W_ORDER, W_PAYLOAD, W_NUMBER, W_SIZE,
	W_GAP, W_DUP, W_LATE, W_JUMP, W_NKINDS
};
static const char *const kind_names[W_NKINDS] = {
	"invalid-json", "message", "event", "order", "payload", "number",
	"size", "gap", "duplicate", "late", "jump"
};

struct opts {
	int wav;
	int fill_leading;
	unsigned rate;		/* 0: from the start message */
	long block_ms;		/* 0: write each chunk as decoded */
	long max_gap_ms;
	size_t maxmsg;
	int evfd;		/* -1: no events */
	char **prog;		/* chain argv (borrowed from main's), or NULL */
};

struct decoder {
	struct opts o;
	struct input in;
	struct output out;
	struct events ev;
	struct timeline tl;
	struct chain ch;
	struct call call;
	int started, stopped, native, child_gone;
	long long wav_at;	/* offset of the WAV header in a file, or -1 */
	const char *reason;	/* the stop's, when stopped */
	/* A message spanning lines is gathered in msg before parsing. */
	struct frame fr;
	int pending;		/* msg holds the start of a message */
	int skipping;		/* it passed -m: its bytes are dropped */
	unsigned long msgline;	/* line where it began */
	char *msg;		/* owned; -m bytes */
	size_t msglen;
	int seen_event;		/* a well-formed message with an event came */
	unsigned long badlines;	/* bad lines before that */
	unsigned long long bad;	/* bad messages in all */
	int said[W_NKINDS];
	int tracks_warned;
	unsigned char *dec;	/* owned; decoded payload bytes */
	unsigned char *pcm;	/* owned; mu-law expanded to PCM16 */
	size_t decsize;
};

static void finish(struct decoder *d);

/*
 * Whether one more line of this kind may be logged: after SAY_LIMIT the
 * kind goes quiet (one line says so) and only the totals at the end tell.
 */
static int
say(struct decoder *d, int kind)
{
	if (d->said[kind] < SAY_LIMIT) {
		d->said[kind]++;
		return 1;
	}
	if (d->said[kind]++ == SAY_LIMIT)
		warnx_("more %s warnings not logged", kind_names[kind]);
	return 0;
}

/* Write what is decoded, then exit: nothing received is lost. */
static void __attribute__((noreturn))
die(struct decoder *d, int status, const char *what)
{
	if (d->started && !d->child_gone)
		(void)out_flush(&d->out);
	fatal(status, "%s", what);
}

/*
 * A bad line before any good message: after a few, or after a lot of
 * bytes, the input is not a media stream at all.
 */
static void
check_stream(struct decoder *d)
{
	d->bad++;
	if (d->seen_event)
		return;
	/* Bytes seen include a too-long line still in the buffer. */
	if (++d->badlines >= NOTSTREAM_LINES || d->in.consumed +
	    (d->in.tail - d->in.head) >= NOTSTREAM_BYTES)
		die(d, EXIT_BADINPUT, "not a media stream: no message with an "
		    "event field at the start of the input");
}

/* A write to the PCM output failed (errno set). */
static void
write_failed(struct decoder *d)
{
	if (d->o.prog && errno == EPIPE) {
		if (!d->child_gone)
			warnx_("child-exited pid=%ld (its stdin is closed; "
			    "input no longer read)", (long)d->ch.pid);
		d->child_gone = 1;
		return;
	}
	fatal_sys(EXIT_SYSTEM, "unable to write PCM");
}

/* Input is about to be waited for: what was decoded goes out first. */
static void
idle(void *arg)
{
	struct decoder *d = arg;

	if (d->started && !d->child_gone && out_drain(&d->out) < 0)
		write_failed(d);
}

/*
 * The start message (borrowed): the call, its clock, its output, and the
 * child when chained.
 */
static void
start(struct decoder *d, jv msg, unsigned long line)
{
	uint8_t hdr[WAV_HEADER_LEN];
	const char *err;
	char id[80], tenant[80];
	jv ev, text;
	int st, fd = 1;
	size_t blk;

	if ((err = call_from_start(&d->call, msg, d->o.rate, line)) != NULL)
		die(d, EXIT_BADINPUT, err);
	d->started = 1;
	d->native = d->call.protocol == P_NATIVE;
	tl_init(&d->tl, d->call.rate, d->o.fill_leading,
	    (unsigned long long)d->o.max_gap_ms);
	info("start protocol=%s encoding=%s rate=%u interaction=%s tenant=%s",
	    protocol_names[d->call.protocol], codec_names[d->call.codec],
	    d->call.rate, jshow(d->call.interaction_id, id, sizeof id),
	    jshow(d->call.tenant_id, tenant, sizeof tenant));
	ev = ev_start(&d->call);
	if (d->o.prog) {
		text = jv_string_append_str(jv_dump_string(ev, 0), "\n");
		st = chain_start(&d->ch, d->o.prog, &d->call, d->o.evfd,
		    jv_string_value(text),
		    (size_t)jv_string_length_bytes(jv_copy(text)));
		jv_free(text);
		if (st != 0)
			exit(st);
		fd = d->ch.pcm;
		d->ev.fd = d->ch.ev;
		d->ev.nonblock = 1;
	} else
		ev_emit(&d->ev, ev);
	blk = (size_t)((unsigned long long)d->o.block_ms * d->call.rate /
	    1000) * 2;
	out_init(&d->out, fd, blk);
	if (d->o.wav) {
		d->wav_at = d->o.prog ? -1 : (long long)lseek(fd, 0, SEEK_CUR);
		wav_header(hdr, d->call.rate);
		if (out_direct(&d->out, hdr, sizeof hdr) < 0)
			write_failed(d);
	}
}

/*
 * One media chunk: b64 (borrowed, len bytes) with its timestamp and chunk
 * number (-1 when absent).  Decodes, places it on the call's clock and
 * writes it, with silence before it for a gap.  unsure: the fast scanner
 * has not ruled out that the line is bad JSON; a payload that is not
 * base64 then returns -1 without doing anything, for libjq to look at.
 */
static int
media(struct decoder *d, const char *b64, size_t len, long long ts,
    long long chunk, unsigned long line, int unsure)
{
	struct placement pl;
	const unsigned char *pcm = d->dec;
	size_t ns;
	long n;
	int bad = 0;

	n = base64_decode(b64, len, d->dec);
	if (n < 0 && unsure)
		return -1;
	if (n < 0) {
		/* Lost, but its length is known: silence keeps the time. */
		bad = 1;
		n = (long)(len / 4 * 3);
		ns = d->call.codec == C_PCM16 ? (size_t)n / 2 : (size_t)n;
	} else if (d->call.codec == C_PCM16) {
		if (n & 1) {
			if (say(d, W_PAYLOAD))
				warnx_("odd-length line=%lu bytes=%ld "
				    "(last byte dropped)", line, n);
			d->bad++;
		}
		ns = (size_t)n / 2;
	} else {
		ulaw_decode(d->dec, (size_t)n, d->pcm);
		pcm = d->pcm;
		ns = (size_t)n;
	}
	tl_place(&d->tl, ts, chunk, ns, &pl);
	if (pl.verdict == TL_DUPLICATE || pl.verdict == TL_LATE) {
		if (say(d, pl.verdict == TL_DUPLICATE ? W_DUP : W_LATE))
			warnx_("%s line=%lu %s=%lld (dropped)",
			    pl.verdict == TL_DUPLICATE ? "duplicate" : "late",
			    line, ts >= 0 ? "timestamp" : "chunk",
			    ts >= 0 ? ts : chunk);
		return 0;
	}
	if (pl.silence && out_silence(&d->out, pl.silence * 2) < 0)
		write_failed(d);
	if (bad ? out_silence(&d->out, ns * 2) : out_pcm(&d->out, pcm, ns * 2))
		write_failed(d);
	if (pl.jumped && say(d, W_JUMP))
		warnx_("jump line=%lu skipped_ms=%llu (over the -g limit, not "
		    "filled)", line, pl.jumped * 1000 / d->call.rate);
	if (pl.leading)
		info("leading-silence line=%lu ms=%llu", line,
		    pl.silence * 1000 / d->call.rate);
	else if (pl.silence && say(d, W_GAP))
		warnx_("gap line=%lu missing_ms=%llu", line,
		    pl.silence * 1000 / d->call.rate);
	if (bad) {
		d->bad++;
		if (say(d, W_PAYLOAD))
			warnx_("bad-base64 line=%lu silence_ms=%llu", line,
			    (unsigned long long)ns * 1000 / d->call.rate);
	}
	return 0;
}

/* Twilio's bidirectional streams interleave tracks; we want the caller's. */
static int
wanted_track(struct decoder *d, const char *t, size_t n)
{
	if (t == NULL || (n == 7 && !memcmp(t, "inbound", 7)))
		return 1;
	if (!d->tracks_warned++)
		info("ignoring media of tracks other than inbound");
	return 0;
}

/* A number field of a message: bad values are reported and ignored. */
static long long
field(struct decoder *d, jv o, const char *k, long long max, unsigned long line)
{
	jv v = jget(o, k);
	long long x = -1;

	if (jint(v, 0, max, &x) < 0) {
		x = -1;
		d->bad++;
		if (say(d, W_NUMBER))
			warnx_("bad-number line=%lu field=%s (ignored)",
			    line, k);
	}
	jv_free(v);
	return x;
}

/* A media message that the fast scanner left to libjq; msg borrowed. */
static void
media_jv(struct decoder *d, jv msg, unsigned long line)
{
	jv m = jget(msg, "media"), p = jget(m, "payload"), t = jget(m, "track");
	long long ts, chunk;

	if (jv_get_kind(p) != JV_KIND_STRING) {
		d->bad++;
		if (say(d, W_SHAPE))
			warnx_("no-payload line=%lu", line);
	} else if (jv_get_kind(t) == JV_KIND_STRING ?
	    wanted_track(d, jv_string_value(t),
	    (size_t)jv_string_length_bytes(jv_copy(t))) : 1) {
		ts = field(d, m, "timestamp", TS_MAX, line);
		chunk = field(d, m, "chunk", CHUNK_MAX, line);
		media(d, jv_string_value(p),
		    (size_t)jv_string_length_bytes(jv_copy(p)), ts, chunk, line,
		    0);
	}
	jv_free(t);
	jv_free(p);
	jv_free(m);
}

/*
 * dtmf and mark: the member's value (digit, name) goes out as an event;
 * msg is borrowed.
 */
static void
marker(struct decoder *d, jv msg, const char *ev, const char *obj,
    const char *k, unsigned long line)
{
	jv o = jget(msg, obj), v = jget(o, k);
	char show[40];

	jv_free(o);
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		v = jv_dump_string(v, 0);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		d->bad++;
		if (say(d, W_SHAPE))
			warnx_("bad-%s line=%lu (no %s.%s)", ev, line, obj, k);
		return;
	}
	info("%s line=%lu %s=%s", ev, line, k, jshow(v, show, sizeof show));
	if (!strcmp(ev, "dtmf"))
		ev_emit(&d->ev, ev_dtmf(&d->call, v, tl_ms(&d->tl)));
	else
		ev_emit(&d->ev, ev_mark(&d->call, v, tl_ms(&d->tl)));
}

/* The internal stop reason for a stop message (borrowed); static text. */
static const char *
stop_reason(struct decoder *d, jv msg)
{
	jv s = jget(msg, "stop"), r = jget(s, "reason");
	const char *reason = "stopped";
	const char *v;

	if (d->call.protocol != P_TWILIO && jv_get_kind(r) == JV_KIND_STRING) {
		v = jv_string_value(r);
		if (strstr(v, "end") || strstr(v, "End") ||
		    !strcmp(v, "completed") || !strcmp(v, "hangup"))
			reason = "callended";
	}
	jv_free(r);
	jv_free(s);
	return reason;
}

/* One whole message (consumed) that began on line. */
static void
message(struct decoder *d, jv msg, unsigned long line)
{
	jv e;
	const char *ev;
	char show[40];

	if (jv_get_kind(msg) != JV_KIND_OBJECT) {
		if (say(d, W_SHAPE))
			warnx_("not-an-object line=%lu", line);
		jv_free(msg);
		check_stream(d);
		return;
	}
	e = jget(msg, "event");
	if (jv_get_kind(e) != JV_KIND_STRING) {
		if (say(d, W_SHAPE))
			warnx_("no-event line=%lu", line);
		jv_free(e);
		jv_free(msg);
		check_stream(d);
		return;
	}
	d->seen_event = 1;
	ev = jv_string_value(e);
	if (!strcmp(ev, "connected"))
		;
	else if (!strcmp(ev, "start")) {
		if (d->started) {
			d->bad++;
			if (say(d, W_ORDER))
				warnx_("second-start line=%lu (ignored)", line);
		} else
			start(d, msg, line);
	} else if (!d->started && (!strcmp(ev, "media") ||
	    !strcmp(ev, "dtmf") || !strcmp(ev, "mark"))) {
		d->bad++;
		if (say(d, W_ORDER))
			warnx_("%s-before-start line=%lu (dropped)", ev, line);
	} else if (!strcmp(ev, "media"))
		media_jv(d, msg, line);
	else if (!strcmp(ev, "dtmf"))
		marker(d, msg, "dtmf", "dtmf", "digit", line);
	else if (!strcmp(ev, "mark"))
		marker(d, msg, "mark", "mark", "name", line);
	else if (!strcmp(ev, "stop")) {
		if (d->started)
			d->reason = stop_reason(d, msg);
		d->stopped = 1;
	} else {
		d->bad++;
		if (say(d, W_EVENT))
			warnx_("unknown-event line=%lu event=%s (ignored)",
			    line, jshow(e, show, sizeof show));
	}
	jv_free(e);
	jv_free(msg);
}

static int
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* libjq's error text without its own line count, which is not ours. */
static const char *
jq_reason(jv msg, char *buf, size_t size)
{
	char *at;

	jshow(msg, buf, size);
	if ((at = strstr(buf, "?at?line?")) != NULL)
		*at = '\0';
	for (at = buf; *at; at++)
		if (*at == '?')
			*at = ' ';
	return buf;
}

/*
 * One whole message, p (n bytes, borrowed) from line on: checked, then
 * parsed by libjq (which only ever sees valid JSON objects).
 */
static void
whole(struct decoder *d, char *p, size_t n, unsigned long line)
{
	const char *why;
	char buf[96];
	jv v;
	int first;

	if (memchr(p, '\0', n)) {
		if (!d->seen_event)
			die(d, EXIT_BADINPUT, "not a media stream: "
			    "binary input (NUL bytes) at the start");
		d->bad++;
		if (say(d, W_SHAPE))
			warnx_("nul-byte line=%lu (message dropped)", line);
		return;
	}
	if ((first = json_check(p, n, &why)) < 0) {
		if (say(d, W_JSON))
			warnx_("invalid-json line=%lu reason=\"%s\"", line,
			    why);
		check_stream(d);
		return;
	}
	if (first != '{') {
		if (say(d, W_SHAPE))
			warnx_("not-an-object line=%lu", line);
		check_stream(d);
		return;
	}
	v = jv_parse_sized(p, (int)n);
	if (!jv_is_valid(v)) {
		/* Not expected after json_check; reported all the same. */
		v = jv_invalid_get_msg(v);
		if (say(d, W_JSON))
			warnx_("invalid-json line=%lu reason=\"%s\"", line,
			    jq_reason(v, buf, sizeof buf));
		jv_free(v);
		check_stream(d);
		return;
	}
	message(d, v, line);
}

/* Add a line (borrowed) to the message being gathered. */
static void
gather(struct decoder *d, const char *p, size_t n)
{
	if (d->skipping)
		return;
	if (d->msglen + n > d->o.maxmsg) {
		if (say(d, W_SIZE))
			warnx_("too-long line=%lu limit=%zu", d->msgline,
			    d->o.maxmsg);
		d->skipping = 1;
		check_stream(d);
		return;
	}
	memcpy(d->msg + d->msglen, p, n);
	d->msglen += n;
}

/* One line of input (p, n bytes, borrowed and writable). */
static void
line(struct decoder *d, char *p, size_t n, unsigned long lineno)
{
	struct fastmedia fm;
	int done;

	/* Some editors start a file with a UTF-8 byte order mark. */
	if (lineno == 1 && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
		p += 3;
		n -= 3;
	}
	if (!d->seen_event && memchr(p, '\0', n))
		die(d, EXIT_BADINPUT, "not a media stream: binary input "
		    "(NUL bytes) at the start");
	if (d->pending && *p == '{') {
		/*
		 * A message starts with '{' in column 1, both compact and
		 * pretty-printed: the one still open was cut short.
		 */
		if (!d->skipping) {
			if (say(d, W_JSON))
				warnx_("invalid-json line=%lu "
				    "reason=\"truncated message\"", d->msgline);
			check_stream(d);
		}
		d->pending = 0;
	}
	if (d->pending) {
		done = frame_line(&d->fr, p, n);
		gather(d, p, n);
		if (done) {
			d->pending = 0;
			if (!d->skipping)
				whole(d, d->msg, d->msglen, d->msgline);
		}
		return;
	}
	if (blank(p, n))
		return;
	if (d->started && fast_media(p, n, TS_MAX, CHUNK_MAX, &fm) &&
	    (!wanted_track(d, fm.track, fm.tracklen) ||
	    media(d, fm.payload, fm.paylen, fm.ts, fm.chunk, lineno,
	    !fm.escaped) == 0))
		return;
	frame_reset(&d->fr);
	d->msgline = lineno;
	if (frame_line(&d->fr, p, n)) {
		whole(d, p, n, lineno);
		return;
	}
	d->pending = 1;
	d->skipping = 0;
	d->msglen = 0;
	gather(d, p, n);
}

/* After a native start: the rest of the input is PCM (or mu-law). */
static void
raw(struct decoder *d)
{
	unsigned char carry = 0;
	int have = 0;
	size_t k, n;
	ssize_t r;
	char *p;

	while (!d->child_gone && (r = in_raw(&d->in, &p)) > 0) {
		n = (size_t)r;
		if (d->call.codec == C_MULAW) {
			for (; n > 0 && !d->child_gone; p += k, n -= k) {
				k = n < d->decsize ? n : d->decsize;
				ulaw_decode((unsigned char *)p, k, d->pcm);
				tl_advance(&d->tl, k);
				if (out_pcm(&d->out, d->pcm, 2 * k) < 0)
					write_failed(d);
			}
			continue;
		}
		/* PCM16 split across reads at an odd byte. */
		if (have) {
			unsigned char s[2] = { carry, (unsigned char)*p };

			tl_advance(&d->tl, 1);
			if (out_pcm(&d->out, s, 2) < 0)
				write_failed(d);
			p++;
			n--;
			have = 0;
		}
		if (n & 1) {
			carry = (unsigned char)p[n - 1];
			have = 1;
			n--;
		}
		if (n == 0)
			continue;
		tl_advance(&d->tl, n / 2);
		if (out_pcm(&d->out, p, n) < 0)
			write_failed(d);
	}
	if (r < 0 && !d->child_gone) {
		(void)out_flush(&d->out);
		fatal_sys(EXIT_SYSTEM, "unable to read stdin");
	}
	if (have) {
		d->bad++;
		warnx_("odd-length at end of input (last byte dropped)");
	}
}

/* At stop or EOF: flush, say how it ended, and exit. */
static void __attribute__((noreturn))
finish(struct decoder *d)
{
	char id[80];
	int st = EXIT_OK;

	if (!d->started)
		fatal(EXIT_BADINPUT, "input ended before a start message%s",
		    d->o.prog ? " (no child started)" : "");
	if (!d->reason)
		d->reason = d->stopped ? "stopped" : "disconnected";
	if (!d->child_gone && out_flush(&d->out) < 0)
		write_failed(d);
	if (!d->child_gone)
		ev_emit(&d->ev, ev_stop(&d->call, d->reason, &d->tl));
	if (d->ev.dropped)
		warnx_("events-dropped count=%lu", d->ev.dropped);
	info("stop reason=%s interaction=%s chunks=%llu duration_ms=%llu "
	    "gaps=%llu gap_ms=%llu duplicates=%llu late=%llu bad=%llu",
	    d->reason, jshow(d->call.interaction_id, id, sizeof id),
	    d->tl.chunks, tl_ms(&d->tl), d->tl.gaps,
	    d->tl.gap_samples * 1000 / d->call.rate, d->tl.dups, d->tl.late,
	    d->bad);
	if (d->o.prog) {
		st = chain_wait(&d->ch);
		if (st != 0)
			info("child status=%d", st);
	} else {
		if (d->o.wav && wav_set_length(1, d->wav_at, d->out.bytes) < 0) {
			warn_sys("unable to write the WAV lengths");
			st = EXIT_SYSTEM;
		}
		if (close_stdout() < 0)
			st = EXIT_SYSTEM;
	}
	out_free(&d->out);
	in_free(&d->in);
	free(d->msg);
	call_free(&d->call);
	free(d->dec);
	free(d->pcm);
	exit(st);
}

static void
decode(struct decoder *d)
{
	char *p;
	size_t n;
	int r;

	while (!d->stopped && !d->native && !d->child_gone) {
		r = in_line(&d->in, &p, &n);
		if (r == IN_EOF)
			break;
		if (r == IN_ERROR) {
			if (d->started)
				(void)out_flush(&d->out);
			fatal_sys(EXIT_SYSTEM, "unable to read stdin");
		}
		if (r == IN_TOOLONG) {
			/*
			 * A line over -m: a message of its own, or (in a
			 * message spanning lines) a long string in it.
			 */
			if (!d->pending)
				d->msgline = d->in.line;
			if (!d->skipping || !d->pending) {
				if (say(d, W_SIZE))
					warnx_("too-long line=%lu limit=%zu",
					    d->msgline, d->o.maxmsg);
				check_stream(d);
			}
			d->skipping = d->pending;
			continue;
		}
		line(d, p, n, d->in.line);
	}
	if (d->pending && !d->skipping && !d->stopped && !d->native &&
	    !d->child_gone) {
		d->bad++;
		if (say(d, W_JSON))
			warnx_("invalid-json line=%lu reason=\"truncated "
			    "message at end of input\"", d->msgline);
	}
	if (d->native && !d->child_gone)
		raw(d);
	finish(d);
}

static void
options(int argc, char **argv, struct opts *o)
{
	const char *v;
	int c;

	o->evfd = -1;
	o->max_gap_ms = 60000;
	o->maxmsg = 1 << 20;
	if ((v = env_get("DECODE_BLOCK_MS")) != NULL)
		o->block_ms = opt_int("DECODE_BLOCK_MS", v, 0, 10000);
	if ((v = env_get("DECODE_MAX_GAP_MS")) != NULL)
		o->max_gap_ms = opt_int("DECODE_MAX_GAP_MS", v, 0, 3600000);
	if ((v = env_get("MAX_MESSAGE_BYTES")) != NULL)
		o->maxmsg = (size_t)opt_int("MAX_MESSAGE_BYTES", v, 1024,
		    64 << 20);
	o->fill_leading = setting_bool(NULL, NULL, "DECODE_FILL_LEADING", 0);
	while ((c = getopt(argc, argv, "+b:e:g:hLm:qr:vw")) != -1) {
		switch (c) {
		case 'b':
			o->block_ms = opt_int("-b", optarg, 0, 10000);
			break;
		case 'e':
			o->evfd = opt_int("-e", optarg, 3, 1023);
			break;
		case 'h':
			usage_exit(usage);
		case 'g':
			o->max_gap_ms = opt_int("-g", optarg, 0, 3600000);
			break;
		case 'L':
			o->fill_leading = 1;
			break;
		case 'm':
			o->maxmsg = (size_t)opt_int("-m", optarg, 1024,
			    64 << 20);
			break;
		case 'q':
			msg_verbosity = 0;
			break;
		case 'r':
			o->rate = (unsigned)opt_int("-r", optarg, RATE_MIN,
			    RATE_MAX);
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		case 'w':
			o->wav = 1;
			break;
		default:
			usage_exit(usage);
		}
	}
	if (optind < argc)
		o->prog = argv + optind;
	/* Without a chain, -e names a descriptor we were given. */
	if (o->evfd >= 0 && !o->prog && fcntl(o->evfd, F_GETFD) < 0)
		fatal(EXIT_USAGE, "-e %d: descriptor is not open", o->evfd);
}

int
main(int argc, char **argv)
{
	static struct decoder d;

	msg_init(argv[0]);
	options(argc, argv, &d.o);
	/* Write errors must come back as EPIPE, not kill us mid-call. */
	signal(SIGPIPE, SIG_IGN);
	d.ev.fd = d.o.prog ? -1 : d.o.evfd;
	in_init(&d.in, 0, d.o.maxmsg);
	d.in.idle = idle;
	d.in.idle_arg = &d;
	d.decsize = BASE64_DECODED_MAX(d.o.maxmsg);
	if ((d.dec = malloc(d.decsize)) == NULL ||
	    (d.pcm = malloc(2 * d.decsize)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate buffers");
	if ((d.msg = malloc(d.o.maxmsg)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate buffers");
	decode(&d);
	return EXIT_OK;
}
