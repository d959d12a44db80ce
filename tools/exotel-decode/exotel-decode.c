/*
 * exotel-decode - media-stream messages to raw PCM16LE, a track at a time.
 *
 * Reads on stdin the messages of one connection, one JSON text a line (as
 * ws-accept writes them and captures store them; pretty-printed messages
 * spanning lines and CRLF ends are accepted too): Exotel AgentStream or
 * Twilio Media Streams (PROTOCOL=exotel), or the native protocol (a JSON
 * start line, then raw PCM16LE to EOF; PROTOCOL=native).  A connection
 * may carry several streams (start ... stop, start ... stop) and each
 * stream up to two tracks (inbound, outbound), each on its own clock:
 * silence where chunks are missing, duplicates and out-of-order chunks
 * dropped and counted.
 *
 * Without a chain, one track (-t) goes to stdout (-w: after a streaming
 * WAV header) and the events to -e FD.  With "-- prog args...", prog runs
 * once per track of each stream as the track's first chunk arrives, with
 * that track's PCM on its stdin, its own event pipe on FD, and the stream
 * and track in its environment (the inbound track's child starts at the
 * start message when that says PCM16: it is ready before the audio); we
 * exit with the first failing child's status.  Bad messages are logged
 * with their line number and skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "base64.h"
#include "chain.h"
#include "clock.h"
#include "events.h"
#include "fastscan.h"
#include "frame.h"
#include "input.h"
#include "io.h"
#include "jsonscan.h"
#include "jvx.h"
#include "logsafe.h"
#include "metrics.h"
#include "msg.h"
#include "num.h"
#include "output.h"
#include "pcm.h"
#include "proto.h"
#include "setting.h"
#include "sniff.h"
#include "timeline.h"

static const char usage[] =
    "exotel-decode [-hLnqvw] [-b ms] [-e fd] [-g ms] [-k ms] [-m bytes] "
    "[-p protocol] [-r rate] [-t track] [-- prog [arg ...]]";

static const char help[] =
    "  -b ms        write PCM in blocks of ms milliseconds (DECODE_BLOCK_MS; 0: as decoded)\n"
    "  -e fd        event lines on descriptor fd (in a chain: each child's own pipe there)\n"
    "  -g ms        longest gap filled with silence (DECODE_MAX_GAP_MS, default 60000)\n"
    "  -h           this help\n"
    "  -k ms        after a stop, how long to wait for another stream (default 1000)\n"
    "  -L           fill the first chunk's timestamp with silence (DECODE_FILL_LEADING)\n"
    "  -n           check the settings and exit: read nothing, run nothing\n"
    "  -m bytes     longest message kept (MAX_MESSAGE_BYTES, default 1048576)\n"
    "  -p protocol  exotel, native or auto (PROTOCOL, default auto)\n"
    "  -q           warnings and errors only\n"
    "  -r rate      the input's rate, whatever the URL and the start say\n"
    "  -t track     the track written on stdout: inbound or outbound\n"
    "  -v           debug lines too\n"
    "  -w           a WAV header before the PCM\n"
    "  --help, --version\n";

#define TS_MAX 86400000LL	/* a timestamp past a day is corrupt */
#define CHUNK_MAX 2147483647LL
#define NOTSTREAM_LINES 8	/* bad lines before we call it not a stream */
#define NOTSTREAM_BYTES 65536
#define SAY_LIMIT 100		/* lines of one kind before we go quiet */
#define PENDING_MAX 16		/* events held for a track not yet open */
#define TIMING_RUN 3		/* chunks in a row that disagree: say so */
#define DIGIT_MAX 16		/* bytes of a dtmf digit */
#define NAME_MAX_ 256		/* bytes of a mark name's JSON text */
#define KINDS_MAX 16		/* unknown event kinds remembered */
#define METRICS_EVERY_MS 10000	/* a long call's counts reach /metrics */

/* Kinds of warning, each with its own quota of log lines. */
enum {
	W_JSON, W_SHAPE, W_EVENT, W_ORDER, W_PAYLOAD, W_NUMBER, W_SIZE,
	W_GAP, W_DUP, W_LATE, W_JUMP, W_TRACK, W_NKINDS
};
static const char *const kind_names[W_NKINDS] = {
	"invalid-json", "message", "event", "order", "payload", "number",
	"size", "gap", "duplicate", "late", "jump", "track"
};

struct opts {
	int wav;
	int fill_leading;
	int conn;		/* CONN_AUTO, CONN_EXOTEL, CONN_NATIVE */
	int track;		/* on stdout without a chain */
	unsigned rate;		/* -r; 0: none */
	unsigned url_rate;	/* SAMPLE_RATE; 0: none */
	long block_ms;		/* 0: write each chunk as decoded */
	long max_gap_ms;
	long linger_ms;		/* after a stop: wait for another start */
	size_t maxmsg;
	int evfd;		/* -1: no events */
	char **prog;		/* chain argv (borrowed from main's), or NULL */
	int check;		/* -n: check the settings, then exit */
};

/* One track of the stream in progress. */
struct track {
	int id;			/* T_INBOUND, T_OUTBOUND */
	int open;		/* its output (and child) exist */
	int gone;		/* its reader went away */
	int codec;		/* in force once open */
	struct timeline tl;
	struct output out;
	struct events own;	/* chain: the child's event pipe */
	struct events *ev;	/* where its events go */
	struct chain ch;
	unsigned long long bytes, bad, dropped[D_NREASONS];
	long long prev_ts;	/* the timing check: the previous chunk */
	size_t prev_n;
	int off;		/* chunks in a row whose length disagreed */
	long long off_ratio;	/* by this much (length / step, per mille) */
	unsigned long long reported[5 + D_NREASONS];	/* see report() */
	jv pending[PENDING_MAX];	/* owned events before it opened */
	int npending;
};

struct decoder {
	struct opts o;
	struct input in;
	struct events ev;	/* -e FD without a chain */
	struct call call;
	struct track tr[T_NTRACKS];
	int live;		/* a stream has started and not stopped */
	int streams;		/* streams started so far */
	int native;		/* after a native start: raw input */
	int all_gone;		/* chain: every child of the stream is gone */
	int status;		/* the first failing child's */
	int wav_done;		/* the WAV header is out */
	int64_t linger_until;	/* after a stop: end of the wait (mono ms) */
	int64_t reported_at;	/* last report() (mono ms) */
	long long wav_at;	/* offset of the WAV header in a file, or -1 */
	unsigned long long ignored;	/* stdout: the other track's bytes */
	unsigned long long wav_bytes;	/* stdout: PCM bytes of every stream */
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
	char kinds[KINDS_MAX][24];	/* unknown events already logged */
	int nkinds;
	unsigned char *dec;	/* owned; decoded payload bytes */
	unsigned char *pcm;	/* owned; mu-law expanded to PCM16 */
	size_t decsize;
};

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

static void
bad_message(struct decoder *d)
{
	d->bad++;
	metrics_add("ingest_decode_bad_messages_total", 1);
}

/* Write what is decoded (every track), then exit: nothing is lost. */
static void __attribute__((noreturn))
die(struct decoder *d, int status, const char *what)
{
	int t;

	for (t = 0; t < T_NTRACKS; t++)
		if (d->tr[t].open && !d->tr[t].gone)
			(void)out_flush(&d->tr[t].out);
	metrics_flush();
	fatal(status, "%s", what);
}

/*
 * A bad line before any good message: after a few, or after a lot of
 * bytes, the input is not a media stream at all.
 */
static void
check_stream(struct decoder *d)
{
	bad_message(d);
	if (d->seen_event)
		return;
	/* Bytes seen include a too-long line still in the buffer. */
	if (++d->badlines >= NOTSTREAM_LINES || d->in.consumed +
	    (d->in.tail - d->in.head) >= NOTSTREAM_BYTES)
		die(d, EXIT_BADINPUT, "not a media stream: no message with an "
		    "event field at the start of the input");
}

/* A write to a track's PCM output failed (errno set). */
static void
write_failed(struct decoder *d, struct track *tr)
{
	int t;

	if (d->o.prog && errno == EPIPE) {
		if (!tr->gone)
			warnx_("child-exited pid=%ld track=%s (its stdin is "
			    "closed; its audio is dropped)", (long)tr->ch.pid,
			    track_names[tr->id]);
		tr->gone = 1;
		for (t = 0; t < T_NTRACKS; t++)
			if (d->tr[t].open && !d->tr[t].gone)
				return;
		/* Nobody is left to take the audio: stop reading. */
		d->all_gone = 1;
		return;
	}
	metrics_flush();
	fatal_sys(EXIT_SYSTEM, "unable to write PCM");
}

static void report(struct decoder *d);

/* Input is about to be waited for: what was decoded goes out first. */
static void
idle(void *arg)
{
	struct decoder *d = arg;
	struct track *tr;
	int t;

	for (t = 0; t < T_NTRACKS; t++) {
		tr = &d->tr[t];
		if (tr->open && !tr->gone && out_drain(&tr->out) < 0)
			write_failed(d, tr);
	}
	if (d->live && mono_ms() - d->reported_at >= METRICS_EVERY_MS)
		report(d);
}

/*
 * The tracks' counts to METRICS_FD: what grew since the last report.
 * Called at each stream's end and, for a long call, every
 * METRICS_EVERY_MS from idle().
 */
static void
report(struct decoder *d)
{
	static const char *const names[] = {
		"ingest_decode_chunks_total", "ingest_decode_bytes_total",
		"ingest_decode_gaps_filled_total",
		"ingest_decode_duplicates_total", "ingest_decode_late_total",
	};
	char name[96];
	struct track *tr;
	unsigned long long now[5 + D_NREASONS];
	int t, i;

	for (t = 0; t < T_NTRACKS; t++) {
		tr = &d->tr[t];
		now[0] = tr->tl.chunks;
		now[1] = tr->bytes;
		now[2] = tr->tl.gaps;
		now[3] = tr->tl.dups;
		now[4] = tr->tl.late;
		for (i = 0; i < D_NREASONS; i++)
			now[5 + i] = tr->dropped[i];
		for (i = 0; i < 5 + D_NREASONS; i++) {
			if (now[i] == tr->reported[i])
				continue;
			if (i < 5)
				snprintf(name, sizeof name, "%s", names[i]);
			else
				snprintf(name, sizeof name, "ingest_decode_"
				    "dropped_bytes_total{reason=\"%s\"}",
				    drop_names[i - 5]);
			metrics_add(name, (double)(now[i] - tr->reported[i]));
			tr->reported[i] = now[i];
		}
	}
	metrics_flush();
	d->reported_at = mono_ms();
}

/* Event obj (consumed) for track t: sent, or held until it opens. */
static void
deliver(struct decoder *d, int t, jv obj)
{
	struct track *tr = &d->tr[d->o.prog ? t : d->o.track];

	if (tr->open) {
		if (!tr->gone)
			ev_emit(tr->ev, obj, 0);
		else
			jv_free(obj);
		return;
	}
	if (tr->npending < PENDING_MAX) {
		tr->pending[tr->npending++] = obj;
		return;
	}
	warnx_("event-dropped track=%s (more than %d before its first "
	    "chunk)", track_names[tr->id], PENDING_MAX);
	jv_free(obj);
}

/*
 * The start event of track t for its child or -e, at most PIPE_BUF
 * bytes with its newline: the custom parameters go when it would not be.
 */
static jv
start_event(struct decoder *d, struct track *tr)
{
	jv ev = ev_start(&d->call, tr->id, tr->codec, d->call.rate);

	if (jdumplen(ev) + 1 > PIPE_BUF) {
		warnx_("custom-parameters dropped (the start event would be "
		    "over %d bytes)", PIPE_BUF);
		jv_free(ev);
		jv_free(d->call.custom);
		d->call.custom = jv_object();
		ev = ev_start(&d->call, tr->id, tr->codec, d->call.rate);
	}
	return ev;
}

/*
 * The codec of track tr against its first payload (p, n bytes; NULL: not
 * seen): read from it when the start said none, and a start's mu-law over
 * clearly PCM16 bytes is taken as PCM16.
 */
static void
settle_codec(struct track *tr, const unsigned char *p, size_t n,
    unsigned long line)
{
	int seen = p ? sniff_codec(p, n) : -1;

	if (tr->codec == C_DETECT) {
		tr->codec = seen == C_MULAW ? C_MULAW : C_PCM16;
		info("codec track=%s encoding=%s (%s)", track_names[tr->id],
		    codec_names[tr->codec], seen < 0 ? "the payload is not "
		    "clear: the default" : "read from the payload");
	} else if (tr->codec == C_MULAW && seen == C_PCM16) {
		warnx_("codec-mismatch line=%lu track=%s start=mulaw "
		    "payload=pcm16 (decoded as pcm16)", line,
		    track_names[tr->id]);
		metrics_add("ingest_codec_mismatch_total", 1);
		tr->codec = C_PCM16;
	}
}

/*
 * Open track tr: at the start when the start says PCM16 (the pipeline is
 * then ready before the first chunk: call set-up does not wait for the
 * caller's first message), else at its first chunk (p, n bytes decoded,
 * may be NULL), whose bytes settle the codec.  Its output is stdout, or a
 * child with its own pipes.
 */
static void
open_track(struct decoder *d, struct track *tr, const unsigned char *p,
    size_t n, unsigned long line)
{
	uint8_t hdr[WAV_HEADER_LEN];
	jv ev, text;
	size_t blk;
	int fd = 1, i;

	tr->codec = d->call.codec;
	settle_codec(tr, p, n, line);
	ev = start_event(d, tr);
	if (d->o.prog) {
		text = jv_string_append_str(jv_dump_string(ev, 0), "\n");
		chain_start(&tr->ch, d->o.prog, &d->call, tr->id, tr->codec,
		    d->call.rate, d->o.evfd, jv_string_value(text),
		    (size_t)jv_string_length_bytes(jv_copy(text)));
		jv_free(text);
		fd = tr->ch.pcm;
		tr->own = (struct events){ .fd = tr->ch.ev, .nonblock = 1,
		    .track = track_names[tr->id] };
		tr->ev = &tr->own;
	} else {
		tr->ev = &d->ev;
		ev_emit(tr->ev, ev, 0);
	}
	tr->open = 1;
	blk = (size_t)((unsigned long long)d->o.block_ms * d->call.rate /
	    1000) * 2;
	out_init(&tr->out, fd, blk);
	if (d->o.wav && !d->o.prog && !d->wav_done) {
		d->wav_done = 1;
		d->wav_at = (long long)lseek(1, 0, SEEK_CUR);
		wav_header(hdr, d->call.rate);
		if (out_direct(&tr->out, hdr, sizeof hdr) < 0)
			write_failed(d, tr);
	}
	for (i = 0; i < tr->npending; i++)
		ev_emit(tr->ev, tr->pending[i], 0);
	tr->npending = 0;
}

/* The stream in progress ends: every track says so and closes. */
static void
end_stream(struct decoder *d, const char *reason)
{
	struct trackstats st;
	struct track *tr;
	char id[LOGSAFE_SIZE(64)], sid[LOGSAFE_SIZE(64)];
	unsigned long long dropped;
	int t, i, opened = 0, status;

	for (t = 0; t < T_NTRACKS; t++)
		opened |= d->tr[t].open;
	/* A stream without audio still has a start and a stop. */
	if (!opened)
		open_track(d, &d->tr[d->o.prog ? T_INBOUND : d->o.track], NULL,
		    0, 0);
	for (t = 0; t < T_NTRACKS; t++) {
		tr = &d->tr[t];
		for (i = 0; i < tr->npending; i++)
			jv_free(tr->pending[i]);
		if (tr->npending)
			warnx_("events-dropped count=%d track=%s (the track "
			    "had no audio)", tr->npending, track_names[t]);
		tr->npending = 0;
		if (!tr->open)
			continue;
		if (!tr->gone && out_flush(&tr->out) < 0)
			write_failed(d, tr);
		/* What the reader's going lost in our buffer, in input bytes. */
		if (tr->gone)
			tr->dropped[D_READER_GONE] += (tr->out.bytes -
			    tr->out.written) / (tr->codec == C_PCM16 ? 1 : 2);
		memset(&st, 0, sizeof st);
		st.chunks = tr->tl.chunks;
		st.samples = tr->out.written / 2;
		st.ms = tl_ms(&tr->tl);
		st.gaps = tr->tl.gaps;
		st.gap_ms = tr->tl.gap_samples * 1000 / d->call.rate;
		st.dups = tr->tl.dups;
		st.late = tr->tl.late;
		st.bad = tr->bad;
		st.bytes = tr->bytes;
		for (dropped = 0, i = 0; i < D_NREASONS; i++) {
			st.dropped[i] = tr->dropped[i];
			dropped += tr->dropped[i];
		}
		/* Bytes of the input codec: two a sample for PCM16. */
		st.dropped_ms = dropped / (tr->codec == C_PCM16 ? 2 : 1) *
		    1000 / d->call.rate;
		/* A child that closed its stdin may still read events. */
		ev_emit(tr->ev, ev_stop(&d->call, t, reason, &st), 1);
		if (tr->ev->dropped)
			warnx_("events-dropped count=%lu track=%s",
			    tr->ev->dropped, track_names[t]);
		info("stop stream=%s track=%s reason=%s interaction=%s "
		    "chunks=%llu duration_ms=%llu gaps=%llu gap_ms=%llu "
		    "duplicates=%llu late=%llu bad=%llu bytes=%llu "
		    "dropped_bytes=%llu",
		    jshow(d->call.stream_sid, sid, sizeof sid),
		    track_names[t], reason,
		    jshow(d->call.interaction_id, id, sizeof id), st.chunks,
		    st.ms, st.gaps, st.gap_ms, st.dups, st.late, st.bad,
		    st.bytes, dropped);
		if (!d->o.prog)
			d->wav_bytes += tr->out.bytes;
		else
			chain_close(&tr->ch);
	}
	/* Every child has its EOF first: they finish side by side. */
	for (t = 0; t < T_NTRACKS && d->o.prog; t++) {
		tr = &d->tr[t];
		if (!tr->open)
			continue;
		status = chain_wait(&tr->ch);
		if (status != 0) {
			info("child track=%s status=%d", track_names[t],
			    status);
			if (d->status == 0)
				d->status = status;
		}
		out_free(&tr->out);
	}
	if (d->ignored)
		info("ignored track=%s bytes=%llu (-t %s)",
		    track_names[!d->o.track], d->ignored,
		    track_names[d->o.track]);
	report(d);
	d->live = 0;
}

/* A new stream: the start message msg (borrowed). */
static void
start(struct decoder *d, jv msg, unsigned long line)
{
	char id[LOGSAFE_SIZE(64)], tenant[LOGSAFE_SIZE(64)];
	char sid[LOGSAFE_SIZE(64)];
	struct track *tr;
	const char *err;
	int t;

	if ((err = call_from_start(&d->call, msg, d->o.conn, d->o.rate,
	    d->o.url_rate, line)) != NULL)
		die(d, EXIT_BADINPUT, err);
	d->live = 1;
	d->streams++;
	d->in.timeout_ms = -1;
	d->ignored = 0;
	d->native = d->call.p == &protos[P_NATIVE];
	metrics_add("ingest_decode_streams_total", 1);
	for (t = 0; t < T_NTRACKS; t++) {
		tr = &d->tr[t];
		if (tr->open && !d->o.prog)
			out_free(&tr->out);
		memset(tr, 0, sizeof *tr);
		tr->id = t;
		tr->prev_ts = -1;
		tl_init(&tr->tl, d->call.rate, d->o.fill_leading,
		    (unsigned long long)d->o.max_gap_ms);
	}
	info("start stream=%s protocol=%s encoding=%s rate=%u interaction=%s "
	    "tenant=%s", jshow(d->call.stream_sid, sid, sizeof sid),
	    d->call.p->name, codec_names[d->call.codec], d->call.rate,
	    jshow(d->call.interaction_id, id, sizeof id),
	    jshow(d->call.tenant_id, tenant, sizeof tenant));
	/*
	 * Native audio follows raw, on the one track: open it now.  So does
	 * a start that says PCM16 (Exotel's), on the inbound track unless the
	 * start lists only other tracks: the pipeline is ready when the first
	 * chunk comes.  A mu-law start waits for its first chunk, which may
	 * prove it PCM16 (settle_codec) before the start event says which.
	 */
	if (d->native)
		open_track(d, &d->tr[T_INBOUND], NULL, 0, line);
	else if (d->call.codec == C_PCM16) {
		if (!d->o.prog)
			open_track(d, &d->tr[d->o.track], NULL, 0, line);
		else if (d->call.inbound_listed)
			open_track(d, &d->tr[T_INBOUND], NULL, 0, line);
	}
}

/*
 * The timing check, before a chunk of n samples at ts is placed: the
 * step from the previous chunk's timestamp against that chunk's length.
 * When chunk lengths and timestamp steps disagree TIMING_RUN times in a
 * row, the rate or codec in force is wrong: said once, and the track's
 * chunks go in arrival order from then on (rather than be taken for
 * gaps or overlaps).
 */
static void
check_timing(struct decoder *d, struct track *tr, long long ts, size_t n,
    unsigned long line)
{
	long long step, len_ms, ratio;

	if (ts < 0 || tr->tl.free_run || ts <= tr->prev_ts)
		return;
	if (tr->prev_ts >= 0) {
		step = ts - tr->prev_ts;
		len_ms = (long long)tr->prev_n * 1000 / d->call.rate;
		ratio = len_ms * 1000 / step;
		/*
		 * Off by more than a quarter, and by the same ratio each time
		 * (within an eighth): a wrong rate or codec, not jitter,
		 * whose steps go both ways.
		 */
		if (llabs(len_ms - step) * 4 <= step ||
		    llabs(len_ms - step) < 2)
			tr->off = 0;
		else if (tr->off > 0 &&
		    llabs(ratio - tr->off_ratio) * 8 <= tr->off_ratio)
			tr->off++;
		else {
			tr->off = 1;
			tr->off_ratio = ratio;
		}
		if (tr->off == TIMING_RUN) {
			warnx_("timing-mismatch line=%lu track=%s rate=%u "
			    "encoding=%s chunk_ms=%lld step_ms=%lld "
			    "implied_rate=%lld (chunk lengths disagree with "
			    "their timestamps: the rate or codec is wrong; "
			    "chunks now go in arrival order)", line,
			    track_names[tr->id], d->call.rate,
			    codec_names[tr->codec], len_ms, step,
			    (long long)tr->prev_n * 1000 / step);
			metrics_add("ingest_decode_timing_mismatch_total", 1);
			tl_free_run(&tr->tl);
		}
	}
	tr->prev_ts = ts;
	tr->prev_n = n;
}

/*
 * One media chunk of track t: b64 (borrowed, len bytes) with its
 * timestamp and chunk number (-1 when absent).  Decodes, places it on
 * the track's clock and writes it, with silence before it for a gap.
 * unsure: the fast scanner has not ruled out that the line is bad JSON;
 * a payload that is not base64 then returns -1 without doing anything,
 * for libjq to look at.
 */
static int
media(struct decoder *d, int t, const char *b64, size_t len, long long ts,
    long long chunk, unsigned long line, int unsure)
{
	struct placement pl;
	struct track *tr;
	const unsigned char *pcm = d->dec;
	size_t ns;
	long n;
	int bad = 0;

	n = base64_decode(b64, len, d->dec);
	if (n < 0 && unsure)
		return -1;
	if (t < 0) {
		bad_message(d);
		if (say(d, W_TRACK))
			warnx_("unknown-track line=%lu (dropped)", line);
		return 0;
	}
	if (!d->o.prog && t != d->o.track) {
		d->ignored += n < 0 ? len / 4 * 3 : (size_t)n;
		return 0;
	}
	tr = &d->tr[t];
	if (!tr->open)
		open_track(d, tr, n < 0 ? NULL : d->dec, n < 0 ? 0 : (size_t)n,
		    line);
	if (n < 0) {
		/* Lost, but its length is known: silence keeps the time. */
		bad = 1;
		n = (long)(len / 4 * 3);
		ns = tr->codec == C_PCM16 ? (size_t)n / 2 : (size_t)n;
	} else {
		tr->bytes += (size_t)n;
		if (tr->codec == C_PCM16) {
			if (n & 1) {
				if (say(d, W_PAYLOAD))
					warnx_("odd-length line=%lu bytes=%ld "
					    "(last byte dropped)", line, n);
				tr->bad++;
				tr->dropped[D_ODD_BYTE]++;
			}
			ns = (size_t)n / 2;
		} else {
			ulaw_decode(d->dec, (size_t)n, d->pcm);
			pcm = d->pcm;
			ns = (size_t)n;
		}
	}
	check_timing(d, tr, ts, ns, line);
	tl_place(&tr->tl, ts, chunk, ns, &pl);
	if (pl.verdict == TL_DUPLICATE || pl.verdict == TL_LATE) {
		if (!bad)
			tr->dropped[pl.verdict == TL_DUPLICATE ? D_DUPLICATE :
			    D_LATE] += (size_t)n;
		if (say(d, pl.verdict == TL_DUPLICATE ? W_DUP : W_LATE))
			warnx_("%s line=%lu track=%s %s=%lld (dropped)",
			    pl.verdict == TL_DUPLICATE ? "duplicate" : "late",
			    line, track_names[t],
			    ts >= 0 ? "timestamp" : "chunk",
			    ts >= 0 ? ts : chunk);
		return 0;
	}
	if (tr->gone) {
		if (!bad)
			tr->dropped[D_READER_GONE] += (size_t)n;
		return 0;
	}
	if (pl.silence && out_silence(&tr->out, pl.silence * 2) < 0)
		write_failed(d, tr);
	/* Bytes queued but never written are counted at the stop. */
	if (!tr->gone && (bad ? out_silence(&tr->out, ns * 2) :
	    out_pcm(&tr->out, pcm, ns * 2)) < 0)
		write_failed(d, tr);
	if (pl.jumped && say(d, W_JUMP))
		warnx_("jump line=%lu track=%s skipped_ms=%llu (over the -g "
		    "limit, not filled)", line, track_names[t],
		    pl.jumped * 1000 / d->call.rate);
	if (pl.leading)
		info("leading-silence line=%lu track=%s ms=%llu", line,
		    track_names[t], pl.silence * 1000 / d->call.rate);
	else if (pl.silence && say(d, W_GAP))
		warnx_("gap line=%lu track=%s missing_ms=%llu", line,
		    track_names[t], pl.silence * 1000 / d->call.rate);
	if (bad) {
		tr->bad++;
		bad_message(d);
		if (say(d, W_PAYLOAD))
			warnx_("bad-base64 line=%lu track=%s silence_ms=%llu",
			    line, track_names[t],
			    (unsigned long long)ns * 1000 / d->call.rate);
	}
	return 0;
}

/* A number field of a message: bad values are reported and ignored. */
static long long
number(struct decoder *d, jv o, const char *k, long long max,
    unsigned long line)
{
	jv v = jget(o, k);
	long long x = -1;

	if (jint(v, 0, max, &x) < 0) {
		x = -1;
		bad_message(d);
		if (say(d, W_NUMBER))
			warnx_("bad-number line=%lu field=%s (ignored)",
			    line, k);
	}
	jv_free(v);
	return x;
}

/* The track named by o.track (o borrowed): -1 for an unknown name. */
static int
track_in(jv o)
{
	jv t = jget(o, "track");
	int r = T_INBOUND;

	if (jv_get_kind(t) == JV_KIND_STRING)
		r = track_of(jv_string_value(t),
		    (size_t)jv_string_length_bytes(jv_copy(t)));
	else if (jv_get_kind(t) != JV_KIND_NULL)
		r = -1;
	jv_free(t);
	return r;
}

/* A media message that the fast scanner left to libjq; msg borrowed. */
static void
media_jv(struct decoder *d, jv msg, unsigned long line)
{
	jv m = jget(msg, "media"), p = jget(m, "payload");
	long long ts, chunk;

	if (jv_get_kind(p) != JV_KIND_STRING) {
		bad_message(d);
		if (say(d, W_SHAPE))
			warnx_("no-payload line=%lu", line);
	} else {
		ts = number(d, m, "timestamp", TS_MAX, line);
		chunk = number(d, m, "chunk", CHUNK_MAX, line);
		media(d, track_in(m), jv_string_value(p),
		    (size_t)jv_string_length_bytes(jv_copy(p)), ts, chunk, line,
		    0);
	}
	jv_free(p);
	jv_free(m);
}

/* The position of track t's clock, in ms, for an event. */
static unsigned long long
event_ms(struct decoder *d, int t)
{
	return tl_ms(&d->tr[t].tl);
}

/* dtmf (with its duration) and mark: events of a track; msg borrowed. */
static void
marker(struct decoder *d, jv msg, int dtmf, unsigned long line)
{
	jv o = jget(msg, dtmf ? "dtmf" : "mark"), v, dur = jv_null();
	char show[LOGSAFE_SIZE(32)];
	long long ms;
	int t = track_in(o);

	v = jtext(o, dtmf ? "digit" : "name", dtmf ? DIGIT_MAX :
	    NAME_MAX_);
	if (!jv_is_valid(v) || t < 0) {
		jv_free(v);
		jv_free(o);
		bad_message(d);
		if (say(d, W_SHAPE))
			warnx_("bad-%s line=%lu (%s)", dtmf ? "dtmf" : "mark",
			    line, t < 0 ? "unknown track" : !dtmf ?
			    "no mark.name of at most 256 bytes" :
			    "no dtmf.digit of at most 16 bytes");
		return;
	}
	if (dtmf) {
		dur = jget(o, "duration");
		if (jint(dur, 0, TS_MAX, &ms) == 1) {
			jv_free(dur);
			dur = jv_number((double)ms);
		} else {
			jv_free(dur);
			dur = jv_null();
		}
	}
	jv_free(o);
	info("%s line=%lu track=%s %s=%s", dtmf ? "dtmf" : "mark", line,
	    track_names[t], dtmf ? "digit" : "name",
	    jshow(v, show, sizeof show));
	deliver(d, t, dtmf ? ev_dtmf(&d->call, t, v, dur, event_ms(d, t)) :
	    ev_mark(&d->call, t, v, event_ms(d, t)));
}

/* An event we do not read: logged once per kind, not bad input. */
static void
unknown(struct decoder *d, jv e, unsigned long line)
{
	char show[LOGSAFE_SIZE(24)];
	const char *s = jv_string_value(e);
	int i;

	metrics_add("ingest_decode_unknown_events_total", 1);
	for (i = 0; i < d->nkinds; i++)
		if (!strncmp(d->kinds[i], s, sizeof d->kinds[i]))
			return;
	if (d->nkinds < KINDS_MAX)
		snprintf(d->kinds[d->nkinds++], sizeof d->kinds[0], "%s", s);
	else if (!say(d, W_EVENT))
		return;
	warnx_("unknown-event line=%lu event=%s (ignored; said once per "
	    "kind)", line, jshow(e, show, sizeof show));
}

/* Whether the start msg (borrowed) starts the stream already live. */
static int
same_stream(struct decoder *d, jv msg)
{
	struct call c = { .interaction_id = jv_null() };
	int same;

	c.tenant_id = c.stream_sid = c.call_sid = c.from = c.to = c.custom =
	    jv_null();
	if (call_from_start(&c, msg, d->o.conn, d->o.rate, 0, 0) != NULL)
		return 0;
	same = jv_equal(jv_copy(c.stream_sid), jv_copy(d->call.stream_sid));
	call_free(&c);
	return same;
}

/* One whole message (consumed) that began on line. */
static void
message(struct decoder *d, jv msg, unsigned long line)
{
	const char *ev;
	jv e;

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
	if (!strcmp(ev, "connected") || !strcmp(ev, "clear"))
		debug("%s line=%lu", ev, line);
	else if (!strcmp(ev, "start")) {
		if (d->live && same_stream(d, msg)) {
			bad_message(d);
			if (say(d, W_ORDER))
				warnx_("second-start line=%lu (the same "
				    "stream: ignored)", line);
		} else {
			if (d->live) {
				warnx_("start-without-stop line=%lu (the "
				    "stream before ends here)", line);
				end_stream(d, "stopped");
			}
			start(d, msg, line);
		}
	} else if (!strcmp(ev, "stop") || !strcmp(ev, "closed")) {
		if (d->live) {
			end_stream(d, stop_reason(&d->call, msg));
			/*
			 * Callers close the connection after a stop, and
			 * wait for us to close it: another stream gets -k to
			 * begin.  A failed pipeline ends the call at once.
			 */
			d->linger_until = mono_ms() + d->o.linger_ms;
			d->in.timeout_ms = d->status ? 0 : (int)d->o.linger_ms;
			if (d->status)
				d->all_gone = 1;
		} else
			debug("%s line=%lu (no stream)", ev, line);
	} else if (!strcmp(ev, "media") || !strcmp(ev, "dtmf") ||
	    !strcmp(ev, "mark")) {
		if (!d->live) {
			bad_message(d);
			if (say(d, W_ORDER))
				warnx_("%s-%s line=%lu (dropped)", ev,
				    d->streams ? "after-stop" : "before-start",
				    line);
		} else if (!strcmp(ev, "media"))
			media_jv(d, msg, line);
		else
			marker(d, msg, !strcmp(ev, "dtmf"), line);
	} else
		unknown(d, e, line);
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

/*
 * One whole message, p (n bytes, borrowed) from line on: checked, then
 * parsed by libjq (which only ever sees valid JSON objects).
 */
static void
whole(struct decoder *d, char *p, size_t n, unsigned long line)
{
	const char *why;
	jv v;
	int first;

	if (memchr(p, '\0', n)) {
		if (!d->seen_event)
			die(d, EXIT_BADINPUT, "not a media stream: "
			    "binary input (NUL bytes) at the start");
		bad_message(d);
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
		jv_free(v);
		if (say(d, W_JSON))
			warnx_("invalid-json line=%lu reason=\"libjq\"", line);
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
	if (d->live && fast_media(p, n, TS_MAX, CHUNK_MAX, &fm) &&
	    media(d, track_of(fm.track, fm.tracklen), fm.payload, fm.paylen,
	    fm.ts, fm.chunk, lineno, !fm.escaped) == 0)
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
	struct track *tr = &d->tr[T_INBOUND];
	unsigned char carry = 0;
	int have = 0;
	size_t k, n;
	ssize_t r;
	char *p;

	while (!tr->gone && (r = in_raw(&d->in, &p)) > 0) {
		n = (size_t)r;
		tr->bytes += n;
		if (tr->codec == C_MULAW) {
			for (; n > 0 && !tr->gone; p += k, n -= k) {
				k = n < d->decsize ? n : d->decsize;
				ulaw_decode((unsigned char *)p, k, d->pcm);
				tl_advance(&tr->tl, k);
				if (out_pcm(&tr->out, d->pcm, 2 * k) < 0)
					write_failed(d, tr);
			}
			continue;
		}
		/* PCM16 split across reads at an odd byte. */
		if (have) {
			unsigned char s[2] = { carry, (unsigned char)*p };

			tl_advance(&tr->tl, 1);
			if (out_pcm(&tr->out, s, 2) < 0)
				write_failed(d, tr);
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
		tl_advance(&tr->tl, n / 2);
		if (out_pcm(&tr->out, p, n) < 0)
			write_failed(d, tr);
	}
	if (r < 0 && !tr->gone)
		die(d, EXIT_SYSTEM, "unable to read stdin");
	if (have) {
		tr->bad++;
		tr->dropped[D_ODD_BYTE]++;
		warnx_("odd-length at end of input (last byte dropped)");
	}
	end_stream(d, "disconnected");
}

/* At EOF (or when no child is left): the last stream ends; exit. */
static void __attribute__((noreturn))
finish(struct decoder *d)
{
	int st = EXIT_OK, t;

	if (d->live)
		end_stream(d, "disconnected");
	if (!d->streams)
		die(d, EXIT_BADINPUT, d->o.prog ? "input ended before a start "
		    "message (no child started)" : "input ended before a "
		    "start message");
	if (d->o.prog)
		st = d->status;
	else {
		if (d->o.wav && d->wav_done &&
		    wav_set_length(1, d->wav_at, d->wav_bytes) < 0) {
			warn_sys("unable to write the WAV lengths");
			st = EXIT_SYSTEM;
		}
		if (close_stdout() < 0)
			st = EXIT_SYSTEM;
	}
	if (d->bad)
		info("end streams=%d bad=%llu", d->streams, d->bad);
	metrics_flush();
	for (t = 0; t < T_NTRACKS; t++)
		out_free(&d->tr[t].out);
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

	while (!d->native && !d->all_gone) {
		if (d->in.timeout_ms >= 0 && !d->live) {
			int64_t left = d->linger_until - mono_ms();

			d->in.timeout_ms = left > 0 ? (int)left : 0;
		}
		r = in_line(&d->in, &p, &n);
		if (r == IN_EOF || r == IN_QUIET)
			break;
		if (r == IN_ERROR)
			die(d, EXIT_SYSTEM, "unable to read stdin");
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
	if (d->pending && !d->skipping && !d->native && !d->all_gone) {
		bad_message(d);
		if (say(d, W_JSON))
			warnx_("invalid-json line=%lu reason=\"truncated "
			    "message at end of input\"", d->msgline);
	}
	if (d->native)
		raw(d);
	finish(d);
}

/*
 * Whether ws-accept's QUERY_STRING (arguments joined by '&') names a
 * rate, as ws-accept reads it: sample-rate= or sample_rate=.
 */
static int
query_names_rate(const char *q)
{
	const char *f;

	for (f = q; f != NULL; f = strchr(f, '&'), f = f ? f + 1 : NULL)
		if (!strncmp(f, "sample-rate=", 12) ||
		    !strncmp(f, "sample_rate=", 12))
			return 1;
	return 0;
}

static void
options(int argc, char **argv, struct opts *o)
{
	const char *b = NULL, *g = NULL, *k = NULL, *m = NULL, *p = NULL;
	const char *t = NULL;
	const char *v;
	int c, leading = 0;

	o->evfd = -1;
	while ((c = getopt(argc, argv, "+b:e:g:hk:Lm:np:qr:t:vw")) != -1) {
		switch (c) {
		case 'b':
			b = optarg;
			break;
		case 'e':
			o->evfd = (int)setting_int("-e", optarg, NULL, 3, 1023,
			    -1);
			break;
		case 'h':
			printf("usage: %s\n%s", usage, help);
			exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM);
		case 'g':
			g = optarg;
			break;
		case 'k':
			k = optarg;
			break;
		case 'L':
			leading = 1;
			break;
		case 'm':
			m = optarg;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'p':
			p = optarg;
			break;
		case 'q':
			msg_verbosity = 0;
			break;
		case 'r':
			o->rate = (unsigned)setting_int("-r", optarg, NULL,
			    RATE_MIN, RATE_MAX, 0);
			break;
		case 't':
			t = optarg;
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
	o->block_ms = (long)setting_int("-b", b, "DECODE_BLOCK_MS", 0, 10000,
	    0);
	o->max_gap_ms = (long)setting_int("-g", g, "DECODE_MAX_GAP_MS", 0,
	    3600000, 60000);
	o->linger_ms = (long)setting_int("-k", k, NULL, 0, 3600000, 1000);
	o->maxmsg = (size_t)setting_int("-m", m, "MAX_MESSAGE_BYTES", 1024,
	    64 << 20, 1 << 20);
	o->fill_leading = leading ||
	    setting_bool(NULL, NULL, "DECODE_FILL_LEADING", 0);
	o->url_rate = (unsigned)setting_int(NULL, NULL, "SAMPLE_RATE",
	    RATE_MIN, RATE_MAX, 0);
	/*
	 * Under ws-accept (QUERY_STRING set, empty without a query)
	 * SAMPLE_RATE is the URL's rate only when the URL names one; else it
	 * is ws-accept's default (8000, Exotel's), and the rate a start names
	 * wins over it, as in the original service and Exotel's ElevenLabs
	 * bridge.
	 */
	if ((v = getenv("QUERY_STRING")) != NULL && !query_names_rate(v))
		o->url_rate = 0;
	v = setting_str(p, "PROTOCOL", "auto");
	if (!strcmp(v, "exotel"))
		o->conn = CONN_EXOTEL;
	else if (!strcmp(v, "native"))
		o->conn = CONN_NATIVE;
	else if (!strcmp(v, "auto"))
		o->conn = CONN_AUTO;
	else
		fatal(EXIT_USAGE, "%s: want exotel, native or auto",
		    p ? "-p" : "PROTOCOL");
	v = t ? t : "inbound";
	if ((o->track = track_of(v, strlen(v))) < 0 || strchr(v, '_'))
		fatal(EXIT_USAGE, "-t: want inbound or outbound");
	if (optind < argc)
		o->prog = argv + optind;
	/* Without a chain, -e names a descriptor we were given. */
	if (o->evfd >= 0 && !o->prog && !o->check && fcntl(o->evfd, F_GETFD) < 0)
		fatal(EXIT_USAGE, "-e %d: descriptor is not open", o->evfd);
}

int
main(int argc, char **argv)
{
	static struct decoder d;

	msg_init(argv[0]);
	std_options(argc, argv, usage, help);
	options(argc, argv, &d.o);
	if (d.o.check) {
		debug("settings ok");
		return EXIT_OK;
	}
	/* Write errors must come back as EPIPE, not kill us mid-call. */
	signal(SIGPIPE, SIG_IGN);
	d.ev.fd = d.o.prog ? -1 : d.o.evfd;
	d.wav_at = -1;
	call_free(&d.call);
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
