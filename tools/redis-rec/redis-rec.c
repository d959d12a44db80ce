/*
 * redis-rec - record one call's audio from Redis to a WAV file: what an
 * ASR worker gets, to listen to.
 *
 *	redis-rec [-av] [-c channel] [-e events-channel] [-m mode]
 *	    [-r rate] [-t seconds] [-u url] interaction-id [file]
 *
 * Reads the frames redis-pub publishes for the call (PUBLISH or SPUBLISH:
 * subscribes; XADD: reads the stream), the JSON AudioFrame or raw PCM,
 * and writes them as one mono PCM16 WAV at the published rate, with
 * silence where frames are missing (by timestamp_ms) so the file keeps
 * the call's time.  Ends at the call's stop event on the events channel,
 * after -t seconds without a message, or on SIGINT/SIGTERM; in every case
 * the last frame is written and the WAV's lengths are set (when the file
 * is seekable) before it exits.  Logs on stderr; writes only the WAV.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jv.h>

#include "base64.h"
#include "io.h"
#include "jsonget.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "setting.h"
#include "redisurl.h"

#define USAGE "redis-rec [-av] [-c channel] [-e events-channel] [-m mode] " \
	"[-r rate] [-t seconds] [-u url] interaction-id [file]"
#define HELP \
	"  -a               streams: read from the start of the streams, not from now\n" \
	"  -c channel       audio channel or stream (AUDIO_CHANNEL, default audio:{interaction_id})\n" \
	"  -e events        events channel or stream (EVENTS_CHANNEL, default calls:events; - none)\n" \
	"  -m mode          publish, spublish or xadd (REDIS_MODE, default publish)\n" \
	"  -r rate          sample rate of raw frames (default 24000; JSON frames say theirs)\n" \
	"  -t seconds       stop after this long without a message (default 0: never)\n" \
	"  -u url           the Redis (REDIS_URL, default redis://127.0.0.1:6379)\n" \
	"  -v               debug\n"

enum mode { M_PUBLISH, M_SPUBLISH, M_XADD };

static volatile sig_atomic_t got_signal;

static struct {
	const char *id;		/* the interaction id (borrowed from argv) */
	char audio[512], events[512];
	int no_events;
	enum mode mode;
	int raw;		/* AUDIO_FORMAT=raw: frames are PCM bytes */
	unsigned rate;		/* 0 until the first JSON frame says it */
	int idle_s;
	int from_start;
	int out;		/* the WAV's descriptor */
	int header_written;
	unsigned long long bytes;	/* PCM written */
	long long last_seq;
	unsigned long frames, gaps, dups;
	char audio_id[64], events_id[64];	/* XREAD positions */
} r = { .last_seq = -1 };

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* Expand {interaction_id} in the template tpl into out (size n). */
static void
expand(const char *tpl, char *out, size_t n, const char *what)
{
	const char *p = tpl, *k = "{interaction_id}";
	size_t o = 0, kl = strlen(k), il = strlen(r.id);

	while (*p) {
		if (strncmp(p, k, kl) == 0) {
			if (o + il >= n)
				goto toolong;
			memcpy(out + o, r.id, il);
			o += il;
			p += kl;
			continue;
		}
		if (o + 1 >= n)
			goto toolong;
		out[o++] = *p++;
	}
	out[o] = '\0';
	/* {tenant_id} and the like are not known here: say so. */
	for (p = out; (p = strchr(p, '{')) != NULL; p++)
		if (p[1] != '{' && strchr(p, '}') && p[1] != '}' &&
		    (p == out || p[-1] != '{'))
			fatal(EXIT_USAGE, "%s: %s names a placeholder other than "
			    "{interaction_id}: give the key with -c/-e", what, tpl);
	return;
toolong:
	fatal(EXIT_USAGE, "%s: key too long", what);
}

static void
write_pcm(const void *p, size_t n)
{
	uint8_t h[WAV_HEADER_LEN];

	if (!r.header_written) {
		wav_header(h, r.rate);
		if (write_all(r.out, h, sizeof h) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to write the WAV");
		r.header_written = 1;
	}
	if (n > 0 && write_all(r.out, p, n) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write the WAV");
	r.bytes += n;
}

/* Silence up to sample position pos (the frame's timestamp). */
static void
fill_to(unsigned long long pos_bytes)
{
	static const uint8_t zero[4096];
	unsigned long long n;

	if (pos_bytes <= r.bytes)
		return;
	r.gaps++;
	debug("gap of %llu bytes filled with silence", pos_bytes - r.bytes);
	while (r.bytes < pos_bytes) {
		n = pos_bytes - r.bytes;
		write_pcm(zero, n > sizeof zero ? sizeof zero : (size_t)n);
	}
}

/* One audio message (borrowed).  Frames of other calls are skipped. */
static void
audio(const char *msg, size_t len)
{
	jv v, f;
	const char *b64;
	uint8_t *pcm;
	long n;
	long long seq = -1, ts = -1;
	unsigned rate;

	if (r.raw) {
		if (r.rate == 0)
			r.rate = 24000;
		write_pcm(msg, len & ~(size_t)1);
		r.frames++;
		return;
	}
	v = jv_parse_sized(msg, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		warnx_("not a JSON audio frame: skipped");
		jv_free(v);
		return;
	}
	f = json_get(v, "interaction_id");
	if (jv_get_kind(f) != JV_KIND_STRING ||
	    strcmp(jv_string_value(f), r.id) != 0) {
		jv_free(f);
		jv_free(v);
		return;		/* another call's, on a shared key */
	}
	jv_free(f);
	f = json_get(v, "seq");
	if (jv_get_kind(f) == JV_KIND_NUMBER)
		seq = (long long)jv_number_value(f);
	jv_free(f);
	if (seq >= 0 && seq <= r.last_seq) {
		r.dups++;
		jv_free(v);
		return;
	}
	f = json_get(v, "sample_rate");
	rate = jv_get_kind(f) == JV_KIND_NUMBER ?
	    (unsigned)jv_number_value(f) : 0;
	jv_free(f);
	if (rate < RATE_MIN || rate > RATE_MAX) {
		warnx_("frame seq=%lld: no sample_rate: skipped", seq);
		jv_free(v);
		return;
	}
	if (r.rate == 0) {
		r.rate = rate;
		info("recording interaction=%s rate=%u", r.id, rate);
	} else if (rate != r.rate)
		warnx_("frame seq=%lld at %u Hz in a %u Hz recording", seq,
		    rate, r.rate);
	f = json_get(v, "timestamp_ms");
	if (jv_get_kind(f) == JV_KIND_NUMBER)
		ts = (long long)jv_number_value(f);
	jv_free(f);
	f = json_get(v, "audio");
	if (jv_get_kind(f) != JV_KIND_STRING) {
		warnx_("frame seq=%lld: no audio: skipped", seq);
		jv_free(f);
		jv_free(v);
		return;
	}
	b64 = jv_string_value(f);
	len = strlen(b64);
	if ((pcm = malloc(BASE64_DECODED_MAX(len))) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	if ((n = base64_decode(b64, len, pcm)) < 0)
		warnx_("frame seq=%lld: audio is not base64: skipped", seq);
	else {
		if (ts >= 0)
			fill_to((unsigned long long)ts * r.rate / 1000 * 2);
		write_pcm(pcm, (size_t)n & ~(size_t)1);
		r.frames++;
		if (seq >= 0)
			r.last_seq = seq;
	}
	free(pcm);
	jv_free(f);
	jv_free(v);
}

/* One event message (borrowed).  Returns 1 for this call's stop. */
static int
event(const char *msg, size_t len)
{
	jv v = jv_parse_sized(msg, (int)len), e, id;
	int stop = 0;
	char reason[LOGSAFE_SIZE(32)];

	e = json_get(v, "event");
	id = json_get(v, "interaction_id");
	if (jv_get_kind(e) == JV_KIND_STRING &&
	    jv_get_kind(id) == JV_KIND_STRING &&
	    strcmp(jv_string_value(id), r.id) == 0) {
		debug("event %s", jv_string_value(e));
		if (strcmp(jv_string_value(e), "stop") == 0) {
			jv rs = json_get(v, "reason");

			stop = 1;
			logsafe(jv_get_kind(rs) == JV_KIND_STRING ?
			    jv_string_value(rs) : "", reason, sizeof reason);
			info("stop reason=%s", reason);
			jv_free(rs);
		}
	}
	jv_free(e);
	jv_free(id);
	jv_free(v);
	return stop;
}

/* A pub/sub push: ["message", channel, payload].  1 on our stop. */
static int
pushed(redisReply *m)
{
	if (m->type != REDIS_REPLY_ARRAY || m->elements != 3 ||
	    m->element[1]->type != REDIS_REPLY_STRING ||
	    m->element[2]->type != REDIS_REPLY_STRING)
		return 0;
	if (strcmp(m->element[0]->str, "message") != 0 &&
	    strcmp(m->element[0]->str, "smessage") != 0)
		return 0;
	if (strcmp(m->element[1]->str, r.audio) == 0) {
		audio(m->element[2]->str, m->element[2]->len);
		return 0;
	}
	if (!r.no_events && strcmp(m->element[1]->str, r.events) == 0)
		return event(m->element[2]->str, m->element[2]->len);
	return 0;
}

/*
 * An XREAD reply: [[key, [[id, [field, value, ...]], ...]], ...].  The
 * audio stream first: what was published before a stop is in it.
 */
static int
xread_reply(redisReply *m)
{
	size_t s, i, k, pass;
	int stop = 0;

	if (m->type != REDIS_REPLY_ARRAY)
		return 0;
	for (pass = 0; pass < 2; pass++)
	for (s = 0; s < m->elements; s++) {
		redisReply *st = m->element[s], *ents;
		int is_audio;

		if (st->type != REDIS_REPLY_ARRAY || st->elements != 2)
			continue;
		is_audio = strcmp(st->element[0]->str, r.audio) == 0;
		if (is_audio != (pass == 0))
			continue;
		ents = st->element[1];
		for (i = 0; i < ents->elements; i++) {
			redisReply *e = ents->element[i], *fv;

			if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
				continue;
			snprintf(is_audio ? r.audio_id : r.events_id,
			    sizeof r.audio_id, "%s", e->element[0]->str);
			fv = e->element[1];
			for (k = 0; k + 1 < fv->elements; k += 2) {
				if (strcmp(fv->element[k]->str, "data") != 0)
					continue;
				if (is_audio)
					audio(fv->element[k + 1]->str,
					    fv->element[k + 1]->len);
				else if (event(fv->element[k + 1]->str,
				    fv->element[k + 1]->len))
					stop = 1;
			}
		}
	}
	return stop;
}

static void
send_xread(redisContext *c)
{
	if (r.no_events)
		redisAppendCommand(c, "XREAD BLOCK 1000 STREAMS %s %s", r.audio,
		    r.audio_id);
	else
		redisAppendCommand(c, "XREAD BLOCK 1000 STREAMS %s %s %s %s",
		    r.audio, r.events, r.audio_id, r.events_id);
}

/*
 * The loop: replies are read from the reader's buffer, the socket is
 * polled so that a signal or -t ends the wait (hiredis's own blocking read
 * would retry after EINTR).  Returns why it ended.
 */
static const char *
record(redisContext *c)
{
	redisReply *m;
	void *reply;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int idle_ms = 0, rc, wdone;

	if (r.mode == M_XADD)
		send_xread(c);
	for (;;) {
		do {
			if (redisBufferWrite(c, &wdone) != REDIS_OK)
				fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
		} while (!wdone);
		for (;;) {
			if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
				fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
			if (reply == NULL)
				break;
			m = reply;
			idle_ms = 0;
			if (m->type == REDIS_REPLY_ERROR)
				fatal(EXIT_SYSTEM, "redis: %s", m->str);
			rc = r.mode == M_XADD ? xread_reply(m) : pushed(m);
			if (r.mode == M_XADD && m->type == REDIS_REPLY_NIL)
				idle_ms += 1000;
			freeReplyObject(m);
			if (rc)
				return "stop";
			if (r.mode == M_XADD) {
				send_xread(c);
				do {
					if (redisBufferWrite(c, &wdone) != REDIS_OK)
						fatal(EXIT_SYSTEM, "redis: %s",
						    c->errstr);
				} while (!wdone);
			}
		}
		if (got_signal)
			return "signal";
		if (r.idle_s > 0 && idle_ms >= r.idle_s * 1000)
			return "idle";
		rc = poll(&p, 1, 200);
		if (rc < 0 && errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "poll");
		if (rc == 0 && r.mode != M_XADD)
			idle_ms += 200;
		if (rc > 0 && redisBufferRead(c) != REDIS_OK)
			fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
	}
}

/*
 * Where reading a stream starts: its beginning with -a, else its last
 * entry now (not "$", which would lose what is added between two XREADs).
 */
static void
last_id(redisContext *c, const char *key, char id[64])
{
	redisReply *rp;

	snprintf(id, 64, "0-0");
	if (r.from_start)
		return;
	rp = redisCommand(c, "XREVRANGE %s + - COUNT 1", key);
	if (rp == NULL)
		fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
	if (rp->type == REDIS_REPLY_ERROR)
		fatal(EXIT_SYSTEM, "redis XREVRANGE %s: %s", key, rp->str);
	if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 1 &&
	    rp->element[0]->type == REDIS_REPLY_ARRAY &&
	    rp->element[0]->elements == 2)
		snprintf(id, 64, "%s", rp->element[0]->element[0]->str);
	freeReplyObject(rp);
}

static redisContext *
connect_redis(const char *url)
{
	struct redis_url u;
	const char *why;
	struct timeval tv = { 5, 0 };
	redisContext *c;
	redisReply *rp;

	if (url_parse(url, &u, &why) < 0)
		fatal(EXIT_USAGE, "invalid redis url: %s", why);
	c = u.is_unix ? redisConnectUnixWithTimeout(u.path, tv) :
	    redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err)
		fatal(EXIT_SYSTEM, "redis unable to connect: %s addr=%s",
		    c ? c->errstr : "out of memory", url_where(&u));
	if (u.has_pass) {
		rp = u.user[0] ? redisCommand(c, "AUTH %s %s", u.user, u.pass) :
		    redisCommand(c, "AUTH %s", u.pass);
		if (rp == NULL || rp->type == REDIS_REPLY_ERROR)
			fatal(EXIT_SYSTEM, "redis AUTH: %s",
			    rp ? rp->str : c->errstr);
		freeReplyObject(rp);
	}
	if (u.db) {
		rp = redisCommand(c, "SELECT %ld", u.db);
		if (rp == NULL || rp->type == REDIS_REPLY_ERROR)
			fatal(EXIT_SYSTEM, "redis SELECT: %s",
			    rp ? rp->str : c->errstr);
		freeReplyObject(rp);
	}
	debug("redis connected addr=%s", url_where(&u));
	return c;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *ch = NULL, *ev = NULL, *mode = NULL,
	    *rate = NULL, *idle = NULL, *path = NULL, *why, *fmt;
	char safe[LOGSAFE_SIZE(128)];
	struct sigaction sa;
	redisContext *c;
	redisReply *rp;
	int opt;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	while ((opt = getopt(argc, argv, "ac:e:m:r:t:u:v")) != -1) {
		switch (opt) {
		case 'a': r.from_start = 1; break;
		case 'c': ch = optarg; break;
		case 'e': ev = optarg; break;
		case 'm': mode = optarg; break;
		case 'r': rate = optarg; break;
		case 't': idle = optarg; break;
		case 'u': url = optarg; break;
		case 'v': msg_verbosity = 2; break;
		default: usage_exit(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 || argv[0][0] == '\0')
		usage_exit(USAGE);
	r.id = argv[0];
	path = argc > 1 ? argv[1] : "-";
	mode = setting_str(mode, "REDIS_MODE", "publish");
	if (strcmp(mode, "publish") == 0)
		r.mode = M_PUBLISH;
	else if (strcmp(mode, "spublish") == 0)
		r.mode = M_SPUBLISH;
	else if (strcmp(mode, "xadd") == 0)
		r.mode = M_XADD;
	else
		fatal(EXIT_USAGE, "invalid mode: %s (want publish, spublish or "
		    "xadd)", mode);
	fmt = setting_str(NULL, "AUDIO_FORMAT", "json");
	if (strcmp(fmt, "raw") == 0)
		r.raw = 1;
	else if (strcmp(fmt, "json") != 0)
		fatal(EXIT_USAGE, "invalid AUDIO_FORMAT: %s (want json or raw)",
		    fmt);
	if (r.raw)
		r.rate = (unsigned)setting_int("-r", rate, NULL, RATE_MIN,
		    RATE_MAX, 24000);
	else if (rate)
		r.rate = (unsigned)setting_int("-r", rate, NULL, RATE_MIN,
		    RATE_MAX, 24000);
	r.idle_s = (int)setting_int("-t", idle, NULL, 0, 86400, 0);
	expand(setting_str(ch, "AUDIO_CHANNEL", "audio:{interaction_id}"),
	    r.audio, sizeof r.audio, "AUDIO_CHANNEL");
	ev = setting_str(ev, "EVENTS_CHANNEL", "calls:events");
	if (strcmp(ev, "-") == 0)
		r.no_events = 1;
	else
		expand(ev, r.events, sizeof r.events, "EVENTS_CHANNEL");
	url = setting_str(url, "REDIS_URL", "redis://127.0.0.1:6379");
	(void)why;

	if (strcmp(path, "-") == 0) {
		if (isatty(1))
			fatal(EXIT_USAGE, "standard output is a terminal: name a "
			    "file, or pipe into play/sox");
		r.out = 1;
	} else if ((r.out = open(path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0666)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", path);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	c = connect_redis(url);
	if (r.mode == M_XADD) {
		last_id(c, r.audio, r.audio_id);
		if (!r.no_events)
			last_id(c, r.events, r.events_id);
	} else {
		const char *sub = r.mode == M_SPUBLISH ? "SSUBSCRIBE" : "SUBSCRIBE";

		if (r.no_events)
			redisAppendCommand(c, "%s %s", sub, r.audio);
		else
			redisAppendCommand(c, "%s %s %s", sub, r.audio, r.events);
		/* The subscribe confirmations, one per key. */
		for (int k = 0; k < (r.no_events ? 1 : 2); k++) {
			if (redisGetReply(c, (void **)&rp) != REDIS_OK)
				fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
			if (rp->type == REDIS_REPLY_ERROR)
				fatal(EXIT_SYSTEM, "redis %s: %s", sub, rp->str);
			freeReplyObject(rp);
		}
	}
	info("listening interaction=%s audio=%s events=%s mode=%s",
	    logsafe(r.id, safe, sizeof safe), r.audio,
	    r.no_events ? "-" : r.events, mode);
	why = record(c);
	redisFree(c);

	/* Whatever ended it, the WAV is complete: header, lengths. */
	if (r.rate == 0)
		r.rate = 24000;
	write_pcm(NULL, 0);
	if (wav_set_length(r.out, 0, r.bytes) < 0)
		warn_sys("unable to set the WAV's lengths");
	if (r.out != 1 && close(r.out) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write %s", path);
	info("done interaction=%s ended=%s frames=%lu duration_ms=%llu "
	    "gaps=%lu duplicates=%lu", safe, why, r.frames,
	    r.bytes * 1000 / 2 / r.rate, r.gaps, r.dups);
	if (r.out == 1 && close_stdout() < 0)
		return EXIT_SYSTEM;
	if (strcmp(why, "signal") == 0)
		return 128 + got_signal;
	if (strcmp(why, "idle") == 0)
		return r.frames ? EXIT_OK : EXIT_SYSTEM;
	return EXIT_OK;
}
