/*
 * source.c - the messages of one call, one at a time, each with the media
 * time it is due at.
 *
 * A capture (ndjson) is sent line by line, verbatim but for the call ids
 * of its start message when several calls share it or -i names one.  Raw
 * audio is wrapped into the messages Exotel sends: connected, start with
 * media_format, media chunks of -c ms, stop.  In native mode (-N) the call
 * is the platform's own protocol: one start text message, then binary
 * PCM16LE frames, from raw audio or from the audio inside a capture.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>

#include "base64.h"
#include "jsonget.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "replay.h"

enum { PH_CONNECTED, PH_START, PH_MEDIA, PH_STOP, PH_END };

void
outmsg_reserve(struct outmsg *m, size_t n)
{
	if (n <= m->cap && m->buf)
		return;
	m->cap = n + 1024;
	if ((m->buf = realloc(m->buf, LWS_PRE + m->cap)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate a message");
}

void
outmsg_set(struct outmsg *m, const void *p, size_t n)
{
	outmsg_reserve(m, n);
	memcpy(m->buf + LWS_PRE, p, n);
	m->len = n;
}

/* Consumes v (a jv): its compact JSON becomes the text of m. */
static void
set_json(struct outmsg *m, jv v)
{
	jv s = jv_dump_string(v, 0);

	outmsg_set(m, jv_string_value(s), (size_t)jv_string_length_bytes(
	    jv_copy(s)));
	jv_free(s);
	m->binary = 0;
}

/* Consumes v: a number, or a string of digits, into *out.  0 or -1. */
static int
integer(jv v, long long *out)
{
	double d;
	int r = -1;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		d = jv_number_value(v);
		if (isfinite(d) && d >= 0 && d < 1e15) {
			*out = (long long)d;
			r = 0;
		}
	} else if (jv_get_kind(v) == JV_KIND_STRING)
		r = parse_long(jv_string_value(v), 0, 1000000000000000LL, out);
	jv_free(v);
	return r;
}

/* Borrows o: the first of two spellings of a member (Exotel, Twilio). */
static jv
member2(jv o, const char *a, const char *b)
{
	jv v = json_get(o, a);

	if (jv_get_kind(v) != JV_KIND_INVALID)
		return v;
	jv_free(v);
	return json_get(o, b);
}

/* The call id of call s->index made from the original id orig. */
static void
make_id(const struct source *s, const char *orig, char *out, size_t len)
{
	const char *base = opt.id ? opt.id : orig;

	if (opt.ncalls > 1)
		snprintf(out, len, "%s-%d", base, s->index);
	else
		snprintf(out, len, "%s", base);
}

/*
 * Consumes o and returns it, with the string members a and b (when
 * present) replaced by this call's id made from their value.  The first
 * new id is copied to keep (when not NULL and still empty).
 */
static jv
rewrite_id(const struct source *s, jv o, const char *a, const char *b,
    char *keep, size_t keeplen)
{
	const char *keys[2] = { a, b };
	char id[160];
	jv v;
	int i;

	for (i = 0; i < 2; i++) {
		v = json_get(o, keys[i]);
		if (jv_get_kind(v) == JV_KIND_STRING) {
			make_id(s, jv_string_value(v), id, sizeof id);
			o = jv_object_set(o, jv_string(keys[i]), jv_string(id));
			if (keep && !*keep)
				snprintf(keep, keeplen, "%s", id);
		}
		jv_free(v);
	}
	return o;
}

/*
 * A capture's start message: remember its codec and rate, learn or
 * rewrite the call ids.  Consumes msg; returns it (rewritten or not).
 */
static jv
capture_start(struct source *s, jv msg)
{
	jv st = json_get(msg, "start"), fmt, enc;
	char keep[sizeof s->callid];
	long long rate;
	int rewrite = opt.ncalls > 1 || opt.id;

	fmt = member2(st, "media_format", "mediaFormat");
	enc = json_get(fmt, "encoding");
	s->cap_mulaw = 0;
	if (jv_get_kind(enc) == JV_KIND_STRING) {
		const char *e = jv_string_value(enc);

		s->cap_mulaw = strstr(e, "law") || strstr(e, "LAW") ||
		    strstr(e, "pcmu") || strstr(e, "PCMU");
	}
	jv_free(enc);
	if (integer(member2(fmt, "sample_rate", "sampleRate"), &rate) == 0 &&
	    rate >= RATE_MIN && rate <= RATE_MAX)
		s->cap_rate = (int)rate;
	jv_free(fmt);
	snprintf(keep, sizeof keep, "%s", s->callid);
	s->callid[0] = '\0';
	if (jv_get_kind(st) == JV_KIND_OBJECT) {
		if (rewrite) {
			st = rewrite_id(s, st, "call_sid", "callSid", s->callid,
			    sizeof s->callid);
			st = rewrite_id(s, st, "stream_sid", "streamSid",
			    s->callid, sizeof s->callid);
		} else {
			jv v = member2(st, "call_sid", "callSid");

			if (jv_get_kind(v) != JV_KIND_STRING) {
				jv_free(v);
				v = member2(st, "stream_sid", "streamSid");
			}
			if (jv_get_kind(v) == JV_KIND_STRING)
				snprintf(s->callid, sizeof s->callid, "%s",
				    jv_string_value(v));
			jv_free(v);
		}
		if (opt.tenant) {
			jv a = json_get(st, "accountSid");

			st = jv_object_set(st, jv_string(jv_get_kind(a) ==
			    JV_KIND_STRING ? "accountSid" : "account_sid"),
			    jv_string(opt.tenant));
			jv_free(a);
			snprintf(s->tenant, sizeof s->tenant, "%s", opt.tenant);
		} else {
			jv a = member2(st, "account_sid", "accountSid");

			if (jv_get_kind(a) == JV_KIND_STRING)
				snprintf(s->tenant, sizeof s->tenant, "%s",
				    jv_string_value(a));
			jv_free(a);
		}
		if (rewrite) {
			msg = jv_object_set(msg, jv_string("start"), st);
			msg = rewrite_id(s, msg, "stream_sid", "streamSid",
			    NULL, 0);
		} else
			jv_free(st);
	} else
		jv_free(st);
	/* A start without ids keeps the default one (native needs one). */
	if (!s->callid[0])
		snprintf(s->callid, sizeof s->callid, "%s", keep);
	return msg;
}

/* The native start message: {"event":"start","interaction_id":...}. */
static void
native_start(struct source *s, struct outmsg *m, int rate)
{
	jv v = jv_object();

	v = jv_object_set(v, jv_string("event"), jv_string("start"));
	v = jv_object_set(v, jv_string("interaction_id"),
	    jv_string(s->callid));
	v = jv_object_set(v, jv_string("tenant_id"), jv_string(s->tenant));
	v = jv_object_set(v, jv_string("sample_rate"), jv_number(rate));
	v = jv_object_set(v, jv_string("encoding"), jv_string("pcm16"));
	set_json(m, v);
	m->is_start = 1;
	m->due_ms = -1;
}

/*
 * A capture's media payload as one binary PCM16LE frame (native mode).
 * Borrows media.  Returns 0, or -1 when the payload is not base64.
 */
static int
native_media(struct source *s, jv media, struct outmsg *m)
{
	jv pl = json_get(media, "payload");
	const char *b;
	size_t n;
	long got;
	unsigned char *raw;

	if (jv_get_kind(pl) != JV_KIND_STRING) {
		jv_free(pl);
		return -1;
	}
	b = jv_string_value(pl);
	n = strlen(b);
	/* Room for the decoded bytes, and twice that once mu-law is PCM. */
	outmsg_reserve(m, 3 * BASE64_DECODED_MAX(n));
	raw = m->buf + LWS_PRE + 2 * BASE64_DECODED_MAX(n);
	got = base64_decode(b, n, raw);
	jv_free(pl);
	if (got < 0)
		return -1;
	if (s->cap_mulaw) {
		ulaw_decode(raw, (size_t)got, m->buf + LWS_PRE);
		m->len = 2 * (size_t)got;
	} else {
		memmove(m->buf + LWS_PRE, raw, (size_t)got);
		m->len = (size_t)got;
	}
	s->samples += m->len / 2;
	m->binary = 1;
	return 0;
}

/* Borrows media: 1 unless it names a track other than "inbound". */
static int
inbound(jv media)
{
	jv t = json_get(media, "track");
	int r = jv_get_kind(t) != JV_KIND_STRING ||
	    !strcmp(jv_string_value(t), "inbound");

	jv_free(t);
	return r;
}

/* Milliseconds of audio in a base64 payload of n characters. */
static int64_t
payload_ms(const struct source *s, size_t n)
{
	int64_t bytes = (int64_t)n * 3 / 4;

	return bytes * 1000 / ((int64_t)s->cap_rate * (s->cap_mulaw ? 1 : 2));
}

/* The next line of a capture. */
static int
capture_next(struct source *s, struct outmsg *m)
{
	const char *p;
	size_t len, i;
	jv msg, ev, media;
	long long ts, chunk;
	int r;

again:
	for (;;) {
		r = reader_line(&s->rd, &p, &len);
		if (r == 0)
			return 0;
		if (r == -1)
			fatal_sys(EXIT_SYSTEM, "unable to read input");
		if (r == -2) {
			snprintf(s->err, sizeof s->err, "line %ld: longer than "
			    "%d bytes", s->rd.line + 1, LINE_MAX_BYTES);
			return -1;
		}
		for (i = 0; i < len && isspace((unsigned char)p[i]); i++)
			;
		if (i < len)
			break;
	}
	m->due_ms = -1;
	m->binary = 0;
	/*
	 * As fast as possible, nothing but the start message needs parsing
	 * (a third of the CPU per message).
	 */
	if (opt.factor == 0 && !opt.native && !opt.timing_log &&
	    !memmem(p, len, "\"start\"", 7)) {
		outmsg_set(m, p, len);
		return 1;
	}
	msg = p[i] == '{' ? jv_parse_sized(p, (int)len) : jv_invalid();
	if (jv_get_kind(msg) != JV_KIND_OBJECT) {
		jv_free(msg);
		if (opt.native) {
			warnx_("line %ld: not a JSON object; skipped",
			    s->rd.line);
			goto again;
		}
		debug("line %ld: not a JSON object; sent as it is",
		    s->rd.line);
		outmsg_set(m, p, len);
		return 1;
	}
	ev = json_get(msg, "event");
	if (jv_get_kind(ev) == JV_KIND_STRING &&
	    !strcmp(jv_string_value(ev), "start")) {
		msg = capture_start(s, msg);
		m->is_start = 1;
		if (opt.native) {
			jv_free(ev);
			jv_free(msg);
			s->started = 1;
			native_start(s, m, s->cap_rate);
			return 1;
		}
		if (opt.ncalls > 1 || opt.id) {
			jv_free(ev);
			set_json(m, msg);
			return 1;
		}
	} else if (jv_get_kind(ev) == JV_KIND_STRING &&
	    !strcmp(jv_string_value(ev), "media")) {
		media = json_get(msg, "media");
		if (integer(json_get(media, "timestamp"), &ts) == 0)
			m->due_ms = ts;
		else
			m->due_ms = s->media_ms;
		if (integer(json_get(media, "chunk"), &chunk) == 0)
			m->chunk = (long)chunk;
		m->ts_ms = m->due_ms;
		if (s->cap_rate) {
			jv pl = json_get(media, "payload");

			if (jv_get_kind(pl) == JV_KIND_STRING)
				s->media_ms = m->due_ms + payload_ms(s, (size_t)
				    jv_string_length_bytes(jv_copy(pl)));
			jv_free(pl);
		}
		if (opt.native && !inbound(media)) {
			/* The caller's audio only, as exotel-decode takes. */
			jv_free(media);
			jv_free(ev);
			jv_free(msg);
			goto again;
		}
		if (opt.native) {
			r = s->started ? native_media(s, media, m) : 0;
			jv_free(media);
			jv_free(ev);
			jv_free(msg);
			if (!s->started) {
				if (!s->warned++)
					warnx_("line %ld: media before start; "
					    "skipped", s->rd.line);
				goto again;
			}
			if (r < 0) {
				snprintf(s->err, sizeof s->err, "line %ld: "
				    "media payload is not base64", s->rd.line);
				return -1;
			}
			return 1;
		}
		jv_free(media);
	} else if (opt.native) {
		/* The native protocol has only start and audio. */
		jv_free(ev);
		jv_free(msg);
		goto again;
	}
	jv_free(ev);
	jv_free(msg);
	outmsg_set(m, p, len);
	return 1;
}

/* Exotel's start for wrapped audio, with -p custom parameters. */
static void
wrapped_start(struct source *s, struct outmsg *m)
{
	jv v = jv_object(), st = jv_object(), fmt = jv_object(),
	    cp = jv_object();
	char buf[32];
	char *const *pp;
	const char *eq;

	for (pp = opt.params; pp && *pp; pp++) {
		eq = strchr(*pp, '=');
		cp = jv_object_set(cp, jv_string_sized(*pp, (int)(eq - *pp)),
		    jv_string(eq + 1));
	}
	fmt = jv_object_set(fmt, jv_string("encoding"), jv_string(
	    s->in->format == FMT_MULAW ? "audio/x-mulaw" : "base64"));
	snprintf(buf, sizeof buf, "%d", s->in->rate);
	fmt = jv_object_set(fmt, jv_string("sample_rate"), jv_string(buf));
	snprintf(buf, sizeof buf, "%dkbps", s->in->rate *
	    (s->in->format == FMT_MULAW ? 8 : 16) / 1000);
	fmt = jv_object_set(fmt, jv_string("bit_rate"), jv_string(buf));
	st = jv_object_set(st, jv_string("stream_sid"), jv_string(s->callid));
	st = jv_object_set(st, jv_string("call_sid"), jv_string(s->callid));
	st = jv_object_set(st, jv_string("account_sid"),
	    jv_string(s->tenant));
	st = jv_object_set(st, jv_string("from"), jv_string("exotel-replay"));
	st = jv_object_set(st, jv_string("to"), jv_string("exotel-replay"));
	st = jv_object_set(st, jv_string("custom_parameters"), cp);
	st = jv_object_set(st, jv_string("media_format"), fmt);
	v = jv_object_set(v, jv_string("event"), jv_string("start"));
	v = jv_object_set(v, jv_string("sequence_number"), jv_number(1));
	v = jv_object_set(v, jv_string("stream_sid"), jv_string(s->callid));
	v = jv_object_set(v, jv_string("start"), st);
	set_json(m, v);
	m->is_start = 1;
}

/* The JSON string form of the call id, for messages built by printf. */
static void
quoted_id(const struct source *s, char *out, size_t len)
{
	jv q = jv_dump_string(jv_string(s->callid), 0);

	snprintf(out, len, "%s", jv_string_value(q));
	jv_free(q);
}

/* One chunk of raw audio: an Exotel media message, or a native frame. */
static int
wrapped_media(struct source *s, struct outmsg *m)
{
	size_t bps = s->in->format == FMT_MULAW ? 1 : 2, want, n, pre;
	const char *p;
	ssize_t got;
	char sid[400];
	uint64_t before = s->samples;

	want = (size_t)s->in->rate * (size_t)opt.chunk_ms / 1000 * bps;
	if (want < bps)
		want = bps;
	got = reader_peek(&s->rd, want, &p);
	if (got < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read input");
	n = (size_t)got < want ? (size_t)got : want;
	if (n % bps) {
		warnx_("input ends with half a sample; last byte dropped");
		reader_consume(&s->rd, n);
		n -= n % bps;
		if (n == 0)
			return 0;
	} else if (n == 0)
		return 0;
	else
		reader_consume(&s->rd, n);
	/* p stays valid: consuming only moves the start mark. */
	s->samples += n / bps;
	s->chunk++;
	m->due_ms = (int64_t)(before * 1000 / (uint64_t)s->in->rate);
	m->chunk = s->chunk;
	m->ts_ms = m->due_ms;
	if (opt.native) {
		m->binary = 1;
		if (bps == 1) {
			outmsg_reserve(m, 2 * n);
			ulaw_decode((const uint8_t *)p, n, m->buf + LWS_PRE);
			m->len = 2 * n;
		} else
			outmsg_set(m, p, n);
		return 1;
	}
	quoted_id(s, sid, sizeof sid);
	outmsg_reserve(m, strlen(sid) + BASE64_ENCODED_LEN(n) + 160);
	pre = (size_t)snprintf((char *)m->buf + LWS_PRE, m->cap,
	    "{\"event\":\"media\",\"sequence_number\":%ld,\"stream_sid\":%s,"
	    "\"media\":{\"chunk\":%ld,\"timestamp\":\"%lld\",\"payload\":\"",
	    ++s->seq, sid, s->chunk, (long long)m->due_ms);
	pre += base64_encode(p, n, (char *)m->buf + LWS_PRE + pre);
	memcpy(m->buf + LWS_PRE + pre, "\"}}", 3);
	m->len = pre + 3;
	m->binary = 0;
	return 1;
}

static int
wrapped_next(struct source *s, struct outmsg *m)
{
	char sid[400], buf[1024];
	jv q;
	int n;

	m->due_ms = -1;
	m->binary = 0;
	switch (s->phase) {
	case PH_CONNECTED:
		s->phase = PH_START;
		if (!opt.native) {
			static const char conn[] = "{\"event\":\"connected\"}";

			outmsg_set(m, conn, sizeof conn - 1);
			return 1;
		}
		/* FALLTHROUGH */
	case PH_START:
		s->phase = PH_MEDIA;
		s->seq = 1;
		if (opt.native)
			native_start(s, m, s->in->rate);
		else
			wrapped_start(s, m);
		return 1;
	case PH_MEDIA:
		if (wrapped_media(s, m))
			return 1;
		s->phase = PH_STOP;
		/* FALLTHROUGH */
	case PH_STOP:
		s->phase = PH_END;
		if (opt.native)
			return 0;
		quoted_id(s, sid, sizeof sid);
		q = jv_dump_string(jv_string(s->tenant), 0);
		n = snprintf(buf, sizeof buf, "{\"event\":\"stop\","
		    "\"sequence_number\":%ld,\"stream_sid\":%s,\"stop\":"
		    "{\"call_sid\":%s,\"account_sid\":%s,\"reason\":"
		    "\"callended\"}}", ++s->seq, sid, sid, jv_string_value(q));
		jv_free(q);
		outmsg_set(m, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
		m->due_ms = (int64_t)(s->samples * 1000 /
		    (uint64_t)s->in->rate);
		return 1;
	}
	return 0;
}

void
source_init(struct source *s, const struct input *in, int index)
{
	char base[64];

	memset(s, 0, sizeof *s);
	s->in = in;
	s->index = index;
	s->cap_rate = 8000;
	reader_init(&s->rd, in->fd, in->data_off);
	if (in->data_len >= 0)
		s->rd.limit = in->data_len;
	snprintf(base, sizeof base, "replay-%ld", (long)getpid());
	make_id(s, base, s->callid, sizeof s->callid);
	snprintf(s->tenant, sizeof s->tenant, "%s",
	    opt.tenant ? opt.tenant : "replay");
}

void
source_free(struct source *s)
{
	reader_free(&s->rd);
}

int
source_next(struct source *s, struct outmsg *m)
{
	m->is_start = 0;
	m->chunk = -1;
	m->ts_ms = -1;
	if (s->in->format == FMT_NDJSON)
		return capture_next(s, m);
	return wrapped_next(s, m);
}
