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
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "io.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "setting.h"

#include "encode.h"

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

struct enc enc;


static int64_t wake_us;		/* the earliest time pace() wants a call */

void
want_wake(int64_t t)
{
	if (wake_us < 0 || t < wake_us)
		wake_us = t;
}


/* --- the queue of what is to be played ---------------------------------- */

void
marker_add(int kind, char *name)
{
	if (enc.nmk == enc.mkcap) {
		enc.mkcap = enc.mkcap ? 2 * enc.mkcap : 16;
		if ((enc.mk = realloc(enc.mk, enc.mkcap * sizeof *enc.mk)) == NULL)
			fatal(EXIT_SYSTEM, "out of memory");
	}
	enc.mk[enc.nmk++] = (struct marker){ enc.sent + enc.pend.len, kind, name };
}

struct marker *
marker_first(void)
{
	return enc.mkhead < enc.nmk ? &enc.mk[enc.mkhead] : NULL;
}

void
marker_pop(void)
{
	free(enc.mk[enc.mkhead].name);
	if (++enc.mkhead == enc.nmk)
		enc.mkhead = enc.nmk = 0;
}

/* Append PCM16LE at the call's rate (borrowed), in the call's codec. */
void
pend_pcm(const uint8_t *p, size_t n)
{
	if (!enc.mulaw) {
		buf_add(&enc.pend, p, n);
		return;
	}
	if (buf_reserve(&enc.pend, n / 2) < 0)
		fatal(EXIT_SYSTEM, "out of memory");
	ulaw_encode(p, n / 2, (uint8_t *)enc.pend.p + enc.pend.len);
	enc.pend.len += n / 2;
}

void
cmd_free(struct cmd *c)
{
	free(c->pcm);
	free(c->name);
	free(c);
}

struct cmd *
cmd_new(int kind)
{
	struct cmd *c = calloc(1, sizeof *c);

	if (c == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	c->kind = kind;
	return c;
}

void
q_push(struct cmd *c)
{
	c->next = NULL;
	*enc.qtail = c;
	enc.qtail = &c->next;
	enc.q_bytes += c->n;
}

void
q_push_front(struct cmd *c)
{
	c->next = enc.q;
	enc.q = c;
	if (enc.qtail == &enc.q)
		enc.qtail = &c->next;
	enc.q_bytes += c->n;
}

struct cmd *
q_pop(void)
{
	struct cmd *c = enc.q;

	if (c) {
		enc.q = c->next;
		if (enc.q == NULL)
			enc.qtail = &enc.q;
		enc.q_bytes -= c->n;
	}
	return c;
}

/* --- commands, in order ------------------------------------------------- */

/*
 * The current utterance ends here: the resampler (if any) is told and
 * cmd (owned) waits for its last output; else the end is marked now and
 * cmd goes on.  Returns 1 when cmd had to wait (back at the queue's head).
 */
int
end_utterance(struct cmd *c)
{
	if (enc.rs.pid) {
		rs_end_input();
		q_push_front(c);
		return 1;
	}
	if (enc.utt_open) {
		marker_add(M_END, NULL);
		enc.utt_open = 0;
	}
	return 0;
}

/* Run the queued commands as far as the resampler lets them. */
void
process(void)
{
	struct cmd *c;

	while (enc.started && !rs_closing() && (c = q_pop()) != NULL) {
		switch (c->kind) {
		case CMD_MEDIA:
			if (enc.rs.pid && enc.rs.rate != c->rate) {
				/* Another rate: this converter ends first. */
				rs_end_input();
				q_push_front(c);
				return;
			}
			enc.utt_open = 1;
			if (c->rate == enc.rate) {
				pend_pcm(c->pcm, c->n);
			} else {
				if (enc.rs.pid == 0)
					rs_start(c->rate);
				buf_add(&enc.rs.w, c->pcm, c->n);
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
void
clear(void)
{
	struct cmd *c;
	size_t dropped = enc.pend.len + enc.q_bytes + enc.rs.w.len;

	while ((c = q_pop()) != NULL)
		cmd_free(c);
	if (enc.rs.pid)
		rs_reap(1);
	while (marker_first())
		marker_pop();
	enc.sent += enc.pend.len;
	enc.pend.len = 0;
	enc.utt_open = 0;
	enc.playing = 0;
	enc.marks_sent = enc.marks_back = 0;
	if (enc.started)
		send_clear();
	info("clear dropped_bytes=%zu", dropped);
}

/* --- pacing ------------------------------------------------------------- */

static size_t
pad320(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

void __attribute__((noreturn))
finish(const char *why)
{
	info("done reason=%s messages=%llu chunks=%llu audio_ms=%llu "
	    "marks=%lu echoed=%lu clears=%llu", why, enc.msgs, enc.chunks,
	    enc.started ? enc.out_ms_bytes * 1000 / payload_rate() : 0,
	    enc.marks_sent, enc.marks_back, enc.clears);
	if (enc.rs.pid)
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

	if (!enc.started)
		return;
	for (;;) {
		now = mono_us();
		ahead = enc.playing ? enc.t0_us + enc.sent_us - now : 0;
		if (enc.playing && ahead <= 0)
			enc.playing = 0;
		m = marker_first();
		if (m && m->pos == enc.sent) {
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
			if (enc.hang_deadline == 0)
				enc.hang_deadline = now + (ahead > 0 ? ahead : 0) +
				    MARK_WAIT_US;
			if (!enc.playing && (enc.evfd < 0 ||
			    enc.marks_back >= enc.marks_sent ||
			    now >= enc.hang_deadline))
				finish("hangup");
			want_wake(enc.playing ? now + ahead : enc.hang_deadline);
			return;
		}
		limit = m ? (size_t)(m->pos - enc.sent) : enc.pend.len;
		final = m != NULL;
		if (limit == 0)
			return;
		if (enc.playing && ahead > enc.lead_us) {
			want_wake(now + ahead - enc.lead_us);
			return;
		}
		if (final) {
			fp = pad320(limit);
			if (fp <= 2 * CHUNK_MIN && fp <= enc.cmax)
				/*
				 * The utterance's last 320 bytes go alone,
				 * sent as late as the lead allows: what the
				 * caller has not heard when a hangup or the
				 * next utterance comes stays one lead long.
				 */
				n = fp >= CHUNK_MIN + ALIGN ? fp - ALIGN : limit;
			else
				n = limit < enc.chunk ? limit / ALIGN * ALIGN :
				    enc.chunk;
		} else if (limit >= enc.chunk) {
			n = enc.chunk;
		} else {
			/* Less than a chunk: wait for more, or end here. */
			if (enc.utt_open && !rs_closing() && enc.rs.w.len == 0 &&
			    enc.q == NULL && now - enc.last_media_us >= GAP_US) {
				c = cmd_new(CMD_END);
				if (end_utterance(c))
					return;	/* goes on at the converter's EOF */
				cmd_free(c);
				continue;
			}
			if (enc.utt_open)
				want_wake(enc.last_media_us + GAP_US);
			return;
		}
		send_media((const uint8_t *)enc.pend.p, n,
		    final && n == limit ? pad320(n) - n : 0);
		if (!enc.playing) {
			enc.playing = 1;
			enc.t0_us = now;
			enc.sent_us = 0;
		}
		enc.sent_us += bytes_us(final && n == limit ? pad320(n) : n);
		buf_consume(&enc.pend, n);
		enc.sent += n;
	}
}

/* The call is known (options or its start event): audio can flow. */
void
call_known(void)
{
	char show[LOGSAFE_SIZE(64)];
	const char *v;
	size_t fit;

	if (enc.rate == 0 && (v = env_get("SAMPLE_RATE")) != NULL)
		enc.rate = (unsigned)opt_int("SAMPLE_RATE", v, RATE_MIN,
		    RATE_MAX);
	if (enc.mulaw < 0 && (v = env_get("ENCODING")) != NULL)
		enc.mulaw = parse_encoding("ENCODING", v);
	if (enc.twilio < 0 && (v = env_get("PROTOCOL")) != NULL)
		enc.twilio = strcmp(v, "twilio") == 0;
	if (enc.sid == NULL && (v = env_get("STREAM_SID")) != NULL &&
	    (enc.sid = strdup(v)) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	if (enc.rate == 0)
		enc.rate = 8000;
	if (enc.mulaw < 0)
		enc.mulaw = 0;
	if (enc.twilio < 0)
		enc.twilio = 0;
	if (enc.sid == NULL && (enc.sid = strdup("")) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	/* The longest chunk whose message fits in one WebSocket message. */
	enc.cmax = CHUNK_MAX;
	fit = (size_t)setting_int(NULL, NULL, "MAX_MESSAGE_BYTES", 1024,
	    64 << 20, 256 << 10);
	fit = fit > overhead() ? (fit - overhead()) / 4 * 3 : 0;
	if (fit < enc.cmax)
		enc.cmax = fit / ALIGN * ALIGN;
	if (enc.cmax < CHUNK_MIN) {
		warnx_("MAX_MESSAGE_BYTES leaves room for %zu bytes of audio a "
		    "message, less than Exotel's minimum chunk of %d",
		    enc.cmax, CHUNK_MIN);
		if (enc.cmax < ALIGN)
			fatal(EXIT_USAGE, "MAX_MESSAGE_BYTES too small for a "
			    "media message");
	}
	if (enc.chunk > enc.cmax)
		enc.chunk = enc.cmax;
	enc.started = 1;
	info("call stream=%s rate=%u encoding=%s protocol=%s chunk=%zu "
	    "lead_ms=%lld", logsafe(enc.sid, show, sizeof show), enc.rate,
	    enc.mulaw ? "mulaw" : "pcm16", enc.twilio ? "twilio" : "exotel",
	    enc.chunk, (long long)(enc.lead_us / 1000));
	process();
}

/* --- main --------------------------------------------------------------- */

int
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

	return enc.q_bytes + enc.rs.w.len >= max ||
	    (enc.started && enc.pend.len >= (size_t)QUEUE_MAX_S * payload_rate());
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
		if (enc.stopped)
			finish("stop");
		np = 0;
		i_in = i_rin = i_rout = i_ev = -1;
		if (enc.in_open && !enc.hangup_queued && !queue_full()) {
			i_in = np;
			p[np++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		}
		if (enc.rs.pid && enc.rs.w.len && enc.rs.in >= 0) {
			i_rin = np;
			p[np++] = (struct pollfd){ .fd = enc.rs.in,
			    .events = POLLOUT };
		}
		if (enc.rs.pid) {
			i_rout = np;
			p[np++] = (struct pollfd){ .fd = enc.rs.out,
			    .events = POLLIN };
		}
		if (enc.ev_open) {
			i_ev = np;
			p[np++] = (struct pollfd){ .fd = enc.evfd,
			    .events = POLLIN };
		}
		now = mono_us();
		timeout = wake_us < 0 ? -1 : wake_us <= now ? 0 :
		    (int)((wake_us - now + 999) / 1000);
		if (np == 0 && timeout < 0) {
			if (!enc.started)
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
		if (i_rout >= 0 && enc.rs.pid && p[i_rout].revents)
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
	enc.evfd = -1;
	enc.mulaw = enc.twilio = -1;
	while ((c = getopt(argc, argv, "c:E:e:hi:l:p:qr:s:v")) != -1) {
		switch (c) {
		case 'c':
			o_chunk = optarg;
			break;
		case 'E':
			enc.evfd = opt_int("-E", optarg, 0, 1023);
			break;
		case 'e':
			o_enc = optarg;
			break;
		case 'i':
			enc.raw_rate = (unsigned)opt_int("-i", optarg, RATE_MIN,
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
	enc.chunk = (size_t)setting_int("-c", o_chunk, "PLAY_CHUNK_BYTES",
	    CHUNK_MIN, CHUNK_MAX, CHUNK_MIN);
	if (enc.chunk % ALIGN)
		fatal(EXIT_USAGE, "%s: %zu is not a multiple of %d",
		    o_chunk ? "-c" : "PLAY_CHUNK_BYTES", enc.chunk, ALIGN);
	enc.lead_us = 1000 * setting_int("-l", o_lead, "PLAY_LEAD_MS", 0, 5000,
	    100);
	/*
	 * Options win; with -E the start event comes next, the environment
	 * (which may name the URL's rate, not the call's) only after it.
	 */
	if (o_rate)
		enc.rate = (unsigned)opt_int("-r", o_rate, RATE_MIN, RATE_MAX);
	if (o_enc)
		enc.mulaw = parse_encoding("-e", o_enc);
	if (o_proto) {
		if (strcmp(o_proto, "twilio") == 0)
			enc.twilio = 1;
		else if (strcmp(o_proto, "exotel") == 0)
			enc.twilio = 0;
		else
			fatal(EXIT_USAGE, "-p: unknown protocol %s (want "
			    "exotel or twilio)", o_proto);
	}
	if (o_sid && (enc.sid = strdup(o_sid)) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	enc.qtail = &enc.q;
	enc.rs.in = enc.rs.out = -1;
	enc.in_open = 1;
	if (enc.evfd >= 0) {
		if (fcntl(enc.evfd, F_GETFD) < 0)
			fatal(EXIT_USAGE, "-E %d: descriptor is not open",
			    enc.evfd);
		enc.ev_open = 1;
	} else
		call_known();
	loop();
	return 0;
}
