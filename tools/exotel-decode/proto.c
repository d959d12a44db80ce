/*
 * proto.c - the protocol table and the start message.  See proto.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jvx.h"
#include "metrics.h"
#include "msg.h"
#include "num.h"
#include "proto.h"

static const char *const exotel_ended[] = {
	"end", "End", "completed", "hangup", NULL
};

/*
 * A rate as some of Exotel's documents spell it, "16000Hz" or "16 kHz":
 * the number alone, as a string, for jint.  Anything else unchanged.
 */
static jv
rate_unit(jv rate)
{
	char tmp[32];
	size_t n;
	int k = 0;

	if (jv_get_kind(rate) != JV_KIND_STRING ||
	    (n = strlen(jv_string_value(rate))) >= sizeof tmp - 3)
		return rate;
	memcpy(tmp, jv_string_value(rate), n + 1);
	if (n < 2 || strcasecmp(tmp + n - 2, "hz") != 0)
		return rate;
	n -= 2;
	if (n > 0 && (tmp[n - 1] == 'k' || tmp[n - 1] == 'K'))
		k = 1, n--;
	while (n > 0 && tmp[n - 1] == ' ')
		n--;
	if (k)
		memcpy(tmp + n, "000", 3), n += 3;
	tmp[n] = '\0';
	jv_free(rate);
	return jv_string(tmp);
}

/*
 * One row per protocol.  Exotel's and Twilio's rows differ in spelling
 * only; Exotel's newer call APIs use the camelCase row too, and send no
 * media format: that row's codec is read from the first payload.
 */
const struct proto protos[P_NROWS] = {
	[P_EXOTEL] = {
		.name = "exotel",
		.stream_sid = "stream_sid", .call_sid = "call_sid",
		.account_sid = "account_sid", .custom = "custom_parameters",
		.format = "media_format", .rate_key = "sample_rate",
		.codec = C_PCM16, .rate = 8000, .ended = exotel_ended,
	},
	[P_TWILIO] = {
		.name = "twilio",
		.stream_sid = "streamSid", .call_sid = "callSid",
		.account_sid = "accountSid", .custom = "customParameters",
		.tracks = "tracks", .format = "mediaFormat", .rate_key = "sampleRate",
		.codec = C_DETECT, .rate = 8000, .ended = NULL,
	},
	[P_NATIVE] = {
		.name = "native",
		.stream_sid = "stream_sid", .call_sid = "call_sid",
		.account_sid = "tenant_id", .interaction_id = "interaction_id",
		.custom = "custom_parameters", .format = NULL,
		.rate_key = "sample_rate",
		.codec = C_PCM16, .rate = 24000, .ended = NULL,
	},
};

const char *const codec_names[] = { "pcm16", "mulaw", "detect" };
const char *const track_names[T_NTRACKS] = { "inbound", "outbound" };

/* Whether a codec name ends at p: end, parameters, or trailing blanks. */
static int
spelling_ends(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return *p == '\0' || *p == ';';
}

int
codec_of(const char *spelling)
{
	static const char *const pcm[] = {
		"raw", "slin", "raw/slin", "raw/slin16", "slin16", "l16", "pcm",
		"pcm16", "pcm_s16le", "s16le", "s16", "linear16", "lpcm",
		"base64", NULL
	};
	static const char *const ulaw[] = {
		"mulaw", "ulaw", "mu-law", "u-law", "pcmu", "g711_ulaw",
		"g711u", "g711-ulaw", "basic", NULL
	};
	const char *s = spelling;
	int i;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return CODEC_UNSAID;
	/* "audio/x-mulaw", "audio/L16;rate=8000": the subtype decides. */
	if (!strncasecmp(s, "audio/", 6))
		s += 6;
	if (!strncasecmp(s, "x-", 2))
		s += 2;
	for (i = 0; pcm[i]; i++)
		if (!strncasecmp(s, pcm[i], strlen(pcm[i])) &&
		    spelling_ends(s + strlen(pcm[i])))
			return C_PCM16;
	for (i = 0; ulaw[i]; i++)
		if (!strncasecmp(s, ulaw[i], strlen(ulaw[i])) &&
		    spelling_ends(s + strlen(ulaw[i])))
			return C_MULAW;
	return -1;
}

int
track_of(const char *s, size_t n)
{
	if (s == NULL || (n == 7 && !memcmp(s, "inbound", 7)) ||
	    (n == 13 && !memcmp(s, "inbound_track", 13)))
		return T_INBOUND;
	if ((n == 8 && !memcmp(s, "outbound", 8)) ||
	    (n == 14 && !memcmp(s, "outbound_track", 14)))
		return T_OUTBOUND;
	return -1;
}

/* Whether o (borrowed) has member k (NULL: no). */
static int
has(jv o, const char *k)
{
	jv v;
	int r;

	if (k == NULL)
		return 0;
	v = jget(o, k);
	r = jv_get_kind(v) != JV_KIND_NULL;
	jv_free(v);
	return r;
}

/* How many of a row's start keys o (borrowed) has. */
static int
row_keys(const struct proto *p, jv o)
{
	return has(o, p->stream_sid) + has(o, p->call_sid) +
	    has(o, p->account_sid) + has(o, p->format);
}

/* Member k of src, else of msg (both borrowed); owned, null if neither. */
static jv
pick(jv src, jv msg, const char *k)
{
	jv v;

	if (k == NULL)
		return jv_null();
	v = jget(src, k);
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		v = jget(msg, k);
	}
	return v;
}

/* Whether string s (n bytes) holds a control byte (NUL included). */
static int
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static char why[192];

/*
 * An identity field v (consumed) as an owned string: "" when absent,
 * numbers as their JSON text.  One that is too long or holds control
 * bytes is refused (returns jv_invalid, why says so) when it names the
 * call (id), else cleared with a warning.
 */
static jv
field(jv v, const char *name, int id, unsigned long line)
{
	size_t n;

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		v = jv_dump_string(v, 0);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		if (jv_get_kind(v) != JV_KIND_NULL)
			warnx_("bad-field line=%lu field=%s (not a string: "
			    "ignored)", line, name);
		jv_free(v);
		return jv_string("");
	}
	n = (size_t)jv_string_length_bytes(jv_copy(v));
	if (jdumplen(v) <= FIELD_MAX && !has_control(jv_string_value(v), n))
		return v;
	jv_free(v);
	if (id) {
		snprintf(why, sizeof why, "bad-field line=%lu field=%s "
		    "bytes=%zu (an id must be at most %d bytes of JSON, "
		    "without control characters)", line, name, n, FIELD_MAX);
		return jv_invalid();
	}
	warnx_("bad-field line=%lu field=%s bytes=%zu (over %d bytes of JSON "
	    "or control characters: cleared)", line, name, n, FIELD_MAX);
	return jv_string("");
}

/*
 * The custom parameters o (consumed) as an object whose JSON text is at
 * most CUSTOM_MAX bytes: parameters are kept in order while they fit;
 * keys or string values with control bytes (a NUL would cut the
 * environment variable) are dropped too.  One warning says how many.
 */
static jv
bounded_custom(jv o, unsigned long line)
{
	jv out = jv_object();
	size_t total = 2, len;
	int kept = 0, dropped = 0;

	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		if (jv_get_kind(o) != JV_KIND_NULL)
			warnx_("bad-field line=%lu field=custom_parameters "
			    "(not an object: ignored)", line);
		jv_free(o);
		return out;
	}
	jv_object_foreach(o, key, value) {
		const char *k = jv_string_value(key);
		size_t kn = (size_t)jv_string_length_bytes(jv_copy(key));

		len = jdumplen(key) + 1 + jdumplen(value) + 1;
		if (kept < 32 && total + len <= CUSTOM_MAX &&
		    !has_control(k, kn) &&
		    (jv_get_kind(value) != JV_KIND_STRING ||
		    !has_control(jv_string_value(value),
		    (size_t)jv_string_length_bytes(jv_copy(value))))) {
			out = jv_object_set(out, key, value);
			total += len;
			kept++;
		} else {
			jv_free(key);
			jv_free(value);
			dropped++;
		}
	}
	jv_free(o);
	if (dropped)
		warnx_("custom-parameters line=%lu kept=%d dropped=%d (at "
		    "most 32, %d bytes of JSON, no control characters)", line,
		    kept, dropped, CUSTOM_MAX);
	return out;
}

/* The first non-empty of a (consumed) and b (consumed). */
static jv
first(jv a, jv b)
{
	if (jv_string_length_bytes(jv_copy(a)) > 0) {
		jv_free(b);
		return a;
	}
	jv_free(a);
	return b;
}

/* An environment variable as an owned string, "" when unset. */
static jv
envstr(const char *name)
{
	const char *v = env_get(name);

	return jv_string(v ? v : "");
}

void
call_free(struct call *c)
{
	jv_free(c->interaction_id);
	jv_free(c->tenant_id);
	jv_free(c->stream_sid);
	jv_free(c->call_sid);
	jv_free(c->from);
	jv_free(c->to);
	jv_free(c->custom);
	memset(c, 0, sizeof *c);
	c->interaction_id = c->tenant_id = c->stream_sid = c->call_sid =
	    c->from = c->to = c->custom = jv_null();
}

/*
 * Which row reads this start: on a native connection the native one;
 * else the row whose keys it has (nested in "start" or flat); in auto
 * mode (standalone use), a start with none of them is native.  -1: none.
 */
static int
choose_row(jv src, jv msg, int conn)
{
	int ex, tw;

	if (conn == CONN_NATIVE)
		return P_NATIVE;
	ex = row_keys(&protos[P_EXOTEL], src) +
	    row_keys(&protos[P_EXOTEL], msg);
	tw = row_keys(&protos[P_TWILIO], src) +
	    row_keys(&protos[P_TWILIO], msg);
	if (ex == 0 && tw == 0)
		return conn == CONN_AUTO && has(msg, "interaction_id") ?
		    P_NATIVE : -1;
	return tw > ex ? P_TWILIO : P_EXOTEL;
}

/* The codec from enc (borrowed), warning when it says nothing. */
static int
codec_from(const struct proto *p, jv enc, int named, unsigned long line)
{
	char show[64];
	int codec;

	if (jv_get_kind(enc) == JV_KIND_STRING) {
		codec = codec_of(jv_string_value(enc));
		if (codec == -1) {
			snprintf(why, sizeof why, "unsupported-encoding "
			    "line=%lu encoding=%s", line,
			    jshow(enc, show, sizeof show));
			return -1;
		}
		if (codec != CODEC_UNSAID)
			return codec;
		warnx_("bad-field line=%lu field=encoding (empty: %s%s)", line,
		    p->codec == C_DETECT ? "" : "assuming ",
		    p->codec == C_DETECT ? "the codec is read from the "
		    "payloads" : codec_names[p->codec]);
	} else if (jv_get_kind(enc) != JV_KIND_NULL)
		warnx_("bad-field line=%lu field=encoding (%s%s)", line,
		    p->codec == C_DETECT ? "" : "assuming ",
		    p->codec == C_DETECT ? "the codec is read from the "
		    "payloads" : codec_names[p->codec]);
	else if (!named && p->codec == C_DETECT)
		warnx_("no-media-format line=%lu (the codec is read from the "
		    "payloads)", line);
	return p->codec;
}

/*
 * 1 when the track list v (consumed) names the inbound track, or when
 * there is no list (what a caller sends is inbound unless said otherwise).
 */
static int
lists_inbound(jv v)
{
	int i, n, yes = jv_get_kind(v) != JV_KIND_ARRAY;

	n = yes ? 0 : jv_array_length(jv_copy(v));
	for (i = 0; i < n && !yes; i++) {
		jv t = jv_array_get(jv_copy(v), i);

		yes = jv_get_kind(t) == JV_KIND_STRING &&
		    track_of(jv_string_value(t),
		    (size_t)jv_string_length_bytes(jv_copy(t))) == T_INBOUND;
		jv_free(t);
	}
	jv_free(v);
	return yes;
}

const char *
call_from_start(struct call *c, jv msg, int conn, unsigned rate_opt,
    unsigned url_rate, unsigned long line)
{
	const struct proto *p;
	const char *e;
	jv s, src, mf, enc, rate;
	long long r;
	unsigned start_rate = 0;
	int row, named;

	call_free(c);
	s = jget(msg, "start");
	if (conn == CONN_NATIVE || jv_get_kind(s) == JV_KIND_NULL)
		src = jv_copy(msg);
	else if (jv_get_kind(s) == JV_KIND_OBJECT)
		src = jv_copy(s);
	else {
		jv_free(s);
		snprintf(why, sizeof why, "unreadable-start line=%lu (its "
		    "\"start\" is not an object)", line);
		return why;
	}
	jv_free(s);
	if ((row = choose_row(src, msg, conn)) < 0) {
		jv_free(src);
		snprintf(why, sizeof why, "unreadable-start line=%lu (no "
		    "stream_sid, call_sid, account_sid or media format, "
		    "nested in \"start\" or at the top level)", line);
		return why;
	}
	c->p = p = &protos[row];

	c->stream_sid = field(pick(src, msg, p->stream_sid), "stream_sid", 1,
	    line);
	c->call_sid = field(pick(src, msg, p->call_sid), "call_sid", 1, line);
	c->tenant_id = field(pick(src, msg, p->account_sid), "tenant", 1,
	    line);
	c->interaction_id = field(pick(src, msg, p->interaction_id),
	    "interaction_id", 1, line);
	if (!jv_is_valid(c->stream_sid) || !jv_is_valid(c->call_sid) ||
	    !jv_is_valid(c->tenant_id) || !jv_is_valid(c->interaction_id)) {
		jv_free(src);
		call_free(c);
		return why;
	}
	c->from = field(pick(src, msg, "from"), "from", 0, line);
	c->to = field(pick(src, msg, "to"), "to", 0, line);
	c->custom = bounded_custom(pick(src, msg, p->custom), line);
	c->inbound_listed = lists_inbound(pick(src, msg, p->tracks));
	/*
	 * TENANT_ID in the environment is the tenant ws-accept authenticated
	 * (a verified JWT claim): it wins, and a start that names another
	 * tenant is refused, or a client holding one tenant's token could
	 * publish into another tenant's channels.
	 */
	if ((e = env_get("TENANT_ID")) != NULL &&
	    jv_string_length_bytes(jv_copy(c->tenant_id)) > 0 &&
	    strcmp(jv_string_value(c->tenant_id), e) != 0) {
		jv_free(src);
		call_free(c);
		snprintf(why, sizeof why, "tenant-mismatch line=%lu "
		    "(the start names a tenant other than TENANT_ID)", line);
		return why;
	}
	/* Exotel's call_sid is the interaction; ws-accept's id last. */
	c->interaction_id = first(first(c->interaction_id,
	    jv_copy(c->call_sid)), first(jv_copy(c->stream_sid),
	    envstr("CALL_ID")));
	c->tenant_id = first(c->tenant_id, envstr("TENANT_ID"));
	/* From the environment too: bounded like the rest. */
	if (jdumplen(c->interaction_id) > FIELD_MAX ||
	    jdumplen(c->tenant_id) > FIELD_MAX) {
		jv_free(src);
		call_free(c);
		snprintf(why, sizeof why, "bad-field line=%lu field=%s (over "
		    "%d bytes of JSON)", line, "CALL_ID or TENANT_ID",
		    FIELD_MAX);
		return why;
	}

	named = p->format == NULL || has(src, p->format) ||
	    has(msg, p->format);
	mf = p->format ? pick(src, msg, p->format) : jv_copy(src);
	enc = jget(mf, "encoding");
	rate = jget(mf, p->rate_key);
	jv_free(mf);
	jv_free(src);
	if ((c->codec = codec_from(p, enc, named, line)) < 0) {
		jv_free(enc);
		jv_free(rate);
		call_free(c);
		return why;
	}
	/* "audio/x-mulaw;rate=8000" (Exotel's content types) names a rate. */
	if (jv_get_kind(rate) == JV_KIND_NULL &&
	    jv_get_kind(enc) == JV_KIND_STRING &&
	    (e = strstr(jv_string_value(enc), ";rate=")) != NULL) {
		jv_free(rate);
		rate = jv_string(e + 6);
	}
	jv_free(enc);
	rate = rate_unit(rate);
	switch (jint(rate, RATE_MIN, RATE_MAX, &r)) {
	case 1:
		start_rate = (unsigned)r;
		break;
	case 0:
		break;
	default:
		if (!rate_opt && !url_rate)
			warnx_("bad-field line=%lu field=sample_rate "
			    "(assuming %u)", line, p->rate);
	}
	jv_free(rate);

	/*
	 * The rule: -r, else the URL's rate (Exotel's own clients read the
	 * rate from ?sample-rate= and nothing else), else the start's.
	 */
	if (rate_opt)
		c->rate = rate_opt;
	else if (url_rate) {
		c->rate = url_rate;
		if (start_rate && start_rate != url_rate) {
			warnx_("rate-mismatch line=%lu url=%u start=%u (the "
			    "URL's rate is used, as Exotel's own clients do)",
			    line, url_rate, start_rate);
			metrics_add("ingest_rate_mismatch_total", 1);
		}
	} else
		c->rate = start_rate ? start_rate : p->rate;
	return NULL;
}

const char *
stop_reason(const struct call *c, jv msg)
{
	jv s = jget(msg, "stop"), r = jget(s, "reason");
	const char *reason = "stopped";
	int i;

	if (c->p && c->p->ended && jv_get_kind(r) == JV_KIND_STRING)
		for (i = 0; c->p->ended[i]; i++)
			if (strstr(jv_string_value(r), c->p->ended[i]))
				reason = "callended";
	jv_free(r);
	jv_free(s);
	return reason;
}
