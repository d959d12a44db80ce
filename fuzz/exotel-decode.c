/*
 * fuzz/exotel-decode.c - libFuzzer target: exotel-decode's message
 * handling, line by line as the tool does it: the fast media scanner,
 * the JSON grammar check, libjq, the start message through the protocol
 * table, media placed on a track's clock, codec sniffing, dtmf and mark,
 * stop reasons, and the event lines built from what the caller sent.
 *
 * The first input byte picks the connection (auto, exotel, native) and
 * the URL's rate; the rest is the call's messages, one a line.  Beyond
 * "no crash, no leak" (ASan counts every jv left unfreed), it checks the
 * bounds the tool relies on: a start event always fits in PIPE_BUF (one
 * non-blocking write to a pipe nobody reads yet) and a stop event in the
 * room kept for it.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "events.h"
#include "fastscan.h"
#include "frame.h"
#include "jsonscan.h"
#include "jvx.h"
#include "msg.h"
#include "proto.h"
#include "sniff.h"
#include "timeline.h"

#define TS_MAX 86400000LL
#define CHUNK_MAX 2147483647LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	struct call call;
	struct timeline tl[T_NTRACKS];
	int live, conn;
	unsigned url_rate;
	unsigned char *dec;	/* BASE64_DECODED_MAX of the longest line */
};

static void
check_len(jv ev, size_t max)
{
	if (jdumplen(ev) + 1 > max)
		abort();
	jv_free(ev);
}

/* One chunk of base64 (borrowed) on track t. */
static void
chunk(struct state *st, int t, const char *b64, size_t len, long long ts,
    long long ch)
{
	struct placement pl;
	long n;

	n = base64_decode(b64, len, st->dec);
	if (t < 0 || !st->live)
		return;
	if (n > 0)
		sniff_codec(st->dec, (size_t)n);
	tl_place(&st->tl[t], ts, ch, n > 0 ? (size_t)n / 2 : 0, &pl);
	if (pl.verdict == TL_ACCEPT && ts >= 0 && (ts & 7) == 0)
		tl_free_run(&st->tl[t]);
}

/* One parsed message (consumed). */
static void
message(struct state *st, jv msg)
{
	struct trackstats ts;
	const char *err;
	jv e = jget(msg, "event"), m, p, v;
	long long x, y;
	int t;

	if (jv_get_kind(e) != JV_KIND_STRING)
		goto out;
	if (!strcmp(jv_string_value(e), "start")) {
		err = call_from_start(&st->call, msg, st->conn, 0,
		    st->url_rate, 2);
		st->live = err == NULL;
		if (err)
			goto out;
		for (t = 0; t < T_NTRACKS; t++)
			tl_init(&st->tl[t], st->call.rate, t, 60000);
		check_len(ev_start(&st->call, T_OUTBOUND,
		    st->call.codec == C_MULAW ? C_MULAW : C_PCM16,
		    st->call.rate), PIPE_BUF);
	} else if (!st->live)
		;
	else if (!strcmp(jv_string_value(e), "media")) {
		m = jget(msg, "media");
		p = jget(m, "payload");
		v = jget(m, "track");
		t = jv_get_kind(v) == JV_KIND_STRING ?
		    track_of(jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v))) : T_INBOUND;
		jv_free(v);
		v = jget(m, "timestamp");
		if (jint(v, 0, TS_MAX, &x) != 1)
			x = -1;
		jv_free(v);
		v = jget(m, "chunk");
		if (jint(v, 0, CHUNK_MAX, &y) != 1)
			y = -1;
		jv_free(v);
		if (jv_get_kind(p) == JV_KIND_STRING)
			chunk(st, t, jv_string_value(p),
			    (size_t)jv_string_length_bytes(jv_copy(p)), x, y);
		jv_free(p);
		jv_free(m);
	} else if (!strcmp(jv_string_value(e), "dtmf")) {
		m = jget(msg, "dtmf");
		v = jtext(m, "digit", 16);
		if (jv_is_valid(v))
			check_len(ev_dtmf(&st->call, T_INBOUND, v,
			    jget(m, "duration"), 0), PIPE_BUF);
		else
			jv_free(v);
		jv_free(m);
	} else if (!strcmp(jv_string_value(e), "mark")) {
		m = jget(msg, "mark");
		v = jtext(m, "name", 256);
		if (jv_is_valid(v))
			check_len(ev_mark(&st->call, T_INBOUND, v, 0),
			    PIPE_BUF);
		else
			jv_free(v);
		jv_free(m);
	} else if (!strcmp(jv_string_value(e), "stop")) {
		memset(&ts, 0, sizeof ts);
		ts.chunks = st->tl[0].chunks;
		ts.samples = st->tl[0].pos;
		check_len(ev_stop(&st->call, T_INBOUND,
		    stop_reason(&st->call, msg), &ts), EV_STOP_ROOM);
		st->live = 0;
	}
out:
	jv_free(e);
	jv_free(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned rates[] = { 0, 8000, 16000, 24000 };
	struct state st;
	struct fastmedia fm;
	struct frame fr;
	const char *why;
	char *line;
	size_t i, n;

	msg_verbosity = 0;
	if (size == 0)
		return 0;
	memset(&st, 0, sizeof st);
	call_free(&st.call);
	st.conn = data[0] % 3;
	st.url_rate = rates[(data[0] >> 2) & 3];
	data++;
	size--;
	if ((st.dec = malloc(BASE64_DECODED_MAX(size) + 1)) == NULL)
		return 0;
	for (i = 0; i < size; i += n + 1) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);

		n = nl ? (size_t)(nl - (data + i)) : size - i;
		/* An exact-size copy: ASan sees any read past the line. */
		if ((line = malloc(n ? n : 1)) == NULL)
			break;
		memcpy(line, data + i, n);
		frame_reset(&fr);
		frame_line(&fr, line, n);
		codec_of(n && memchr(line, '\0', n) == NULL ?
		    (line[n - 1] = '\0', line) : "");
		memcpy(line, data + i, n);
		if (fast_media(line, n, TS_MAX, CHUNK_MAX, &fm))
			chunk(&st, track_of(fm.track, fm.tracklen), fm.payload,
			    fm.paylen, fm.ts, fm.chunk);
		else if (memchr(line, '\0', n) == NULL &&
		    json_check(line, n, &why) == '{')
			message(&st, jv_parse_sized(line, (int)n));
		free(line);
	}
	call_free(&st.call);
	free(st.dec);
	return 0;
}
