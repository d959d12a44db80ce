/*
 * call.c - the start message and safe jv access.  See call.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonget.h"
#include "call.h"
#include "msg.h"
#include "num.h"

const char *const protocol_names[] = { "exotel", "twilio", "native" };
const char *const codec_names[] = { "pcm16", "mulaw" };

jv
jget(jv o, const char *k)
{
	jv v = json_get(o, k);

	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

int
jint(jv v, long long min, long long max, long long *out)
{
	char tmp[32];
	double d;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		return 0;
	case JV_KIND_STRING:
		return parse_long(jv_string_value(v), min, max, out) < 0 ?
		    -1 : 1;
	case JV_KIND_NUMBER:
		/* Through the one parser, once what it cannot see is out. */
		d = jv_number_value(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 1e18)
			return -1;
		snprintf(tmp, sizeof tmp, "%.0f", d);
		return parse_long(tmp, min, max, out) < 0 ? -1 : 1;
	default:
		return -1;
	}
}

const char *
jshow(jv v, char *buf, size_t size)
{
	const char *s;
	size_t i;

	if (jv_get_kind(v) != JV_KIND_STRING) {
		snprintf(buf, size, "(%s)", jv_kind_name(jv_get_kind(v)));
		return buf;
	}
	s = jv_string_value(v);
	for (i = 0; i + 1 < size && s[i]; i++)
		buf[i] = isgraph((unsigned char)s[i]) && s[i] != '"' ?
		    s[i] : '?';
	buf[i] = '\0';
	return buf;
}

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

/*
 * Member k of o (borrowed) as an owned string: "" when absent, numbers as
 * their JSON text.
 */
static jv
jstr(jv o, const char *k)
{
	jv v = jget(o, k);

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return v;
	case JV_KIND_NUMBER:
		return jv_dump_string(v, 0);
	default:
		jv_free(v);
		return jv_string("");
	}
}

/* Whether o (borrowed) has member k. */
static int
has(jv o, const char *k)
{
	jv v = jget(o, k);
	int r = jv_get_kind(v) != JV_KIND_NULL;

	jv_free(v);
	return r;
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
}

const char *
call_from_start(struct call *c, jv msg, unsigned rate_opt, unsigned long line)
{
	static char why[128];
	const char *p;
	jv s, mf, enc, rate;
	long long r;
	char show[64];
	int twilio;

	s = jget(msg, "start");
	if (jv_get_kind(s) != JV_KIND_NULL && jv_get_kind(s) != JV_KIND_OBJECT)
		/* Not native (whose audio would follow raw): a broken start. */
		warnx_("bad-field line=%lu field=start (using defaults)", line);
	if (jv_get_kind(s) != JV_KIND_NULL) {
		mf = jget(s, "mediaFormat");
		twilio = jv_get_kind(mf) == JV_KIND_OBJECT ||
		    has(s, "streamSid") || has(s, "callSid") ||
		    has(s, "accountSid");
		c->protocol = twilio ? P_TWILIO : P_EXOTEL;
		if (!twilio) {
			jv_free(mf);
			mf = jget(s, "media_format");
		}
		c->stream_sid = first(
		    jstr(s, twilio ? "streamSid" : "stream_sid"),
		    jstr(msg, twilio ? "streamSid" : "stream_sid"));
		c->call_sid = jstr(s, twilio ? "callSid" : "call_sid");
		c->tenant_id = jstr(s, twilio ? "accountSid" : "account_sid");
		c->interaction_id = first(jv_copy(c->call_sid),
		    jv_copy(c->stream_sid));
		c->from = jstr(s, "from");
		c->to = jstr(s, "to");
		c->custom = jget(s, twilio ? "customParameters" :
		    "custom_parameters");
		enc = jget(mf, "encoding");
		rate = jget(mf, twilio ? "sampleRate" : "sample_rate");
		jv_free(mf);
	} else {
		c->protocol = P_NATIVE;
		c->interaction_id = jstr(msg, "interaction_id");
		c->tenant_id = jstr(msg, "tenant_id");
		c->stream_sid = jstr(msg, "stream_sid");
		c->call_sid = jstr(msg, "call_sid");
		c->from = jstr(msg, "from");
		c->to = jstr(msg, "to");
		c->custom = jget(msg, "custom_parameters");
		enc = jget(msg, "encoding");
		rate = jget(msg, "sample_rate");
	}
	jv_free(s);
	/*
	 * TENANT_ID in the environment is the tenant ws-accept authenticated
	 * (a verified JWT claim): it wins, and a start that names another
	 * tenant is refused, or a client holding one tenant's token could
	 * publish into another tenant's channels.
	 */
	if ((p = env_get("TENANT_ID")) != NULL &&
	    jv_string_length_bytes(jv_copy(c->tenant_id)) > 0 &&
	    strcmp(jv_string_value(c->tenant_id), p) != 0) {
		snprintf(why, sizeof why, "tenant-mismatch line=%lu "
		    "(the start names a tenant other than TENANT_ID)", line);
		jv_free(enc);
		jv_free(rate);
		call_free(c);
		return why;
	}
	/* ws-accept knows these from the handshake when the start does not. */
	c->interaction_id = first(c->interaction_id, envstr("CALL_ID"));
	c->tenant_id = first(c->tenant_id, envstr("TENANT_ID"));
	if (jv_get_kind(c->custom) != JV_KIND_OBJECT) {
		jv_free(c->custom);
		c->custom = jv_object();
	}

	c->codec = c->protocol == P_TWILIO ? C_MULAW : C_PCM16;
	if (jv_get_kind(enc) == JV_KIND_STRING) {
		int codec = codec_of(jv_string_value(enc));

		if (codec == CODEC_UNSAID)
			warnx_("bad-field line=%lu field=encoding (empty: "
			    "assuming %s)", line, codec_names[c->codec]);
		else
			c->codec = codec;
		if (codec == -1) {
			snprintf(why, sizeof why,
			    "unsupported-encoding line=%lu encoding=%s", line,
			    jshow(enc, show, sizeof show));
			jv_free(enc);
			jv_free(rate);
			call_free(c);
			return why;
		}
	} else if (jv_get_kind(enc) != JV_KIND_NULL)
		warnx_("bad-field line=%lu field=encoding (assuming %s)", line,
		    codec_names[c->codec]);
	/* "audio/x-mulaw;rate=8000" (Exotel's content types) names a rate. */
	if (jv_get_kind(rate) == JV_KIND_NULL &&
	    jv_get_kind(enc) == JV_KIND_STRING &&
	    (p = strstr(jv_string_value(enc), ";rate=")) != NULL) {
		jv_free(rate);
		rate = jv_string(p + 6);
	}
	jv_free(enc);

	c->rate = c->protocol == P_NATIVE ? 24000 : 8000;
	switch (jint(rate, RATE_MIN, RATE_MAX, &r)) {
	case 1:
		c->rate = (unsigned)r;
		break;
	case 0:
		if (env_get("SAMPLE_RATE") && parse_long(env_get("SAMPLE_RATE"),
		    RATE_MIN, RATE_MAX, &r) == 0)
			c->rate = (unsigned)r;
		break;
	default:
		if (!rate_opt)
			warnx_("bad-field line=%lu field=sample_rate "
			    "(assuming %u)", line, c->rate);
	}
	jv_free(rate);
	if (rate_opt)
		c->rate = rate_opt;
	return NULL;
}
