/*
 * input.c - what comes in: the bot's commands (or raw PCM) on stdin, the
 * call's events on -E.  See encode.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "base64.h"
#include "buf.h"
#include "clock.h"
#include "jsonget.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"

#include "encode.h"

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
	if (enc.hangup_queued) {
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
				enc.last_media_us = mono_us();
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
		enc.hangup_queued = 1;
	} else {
		char show[LOGSAFE_SIZE(32)];

		warnx_("command line=%lu: unknown event=%s", lineno,
		    logsafe(e, show, sizeof show));
	}
	jv_free(ev);
	jv_free(v);
}

void
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
		enc.in_open = 0;
		if (enc.in.len)
			command(enc.in.p, enc.in.len, ++lineno);
		enc.in.len = 0;
		/* The end of the commands: play what is queued, then end. */
		if (!enc.hangup_queued) {
			q_push(cmd_new(CMD_HANGUP));
			enc.hangup_queued = 1;
		}
		return;
	}
	if (enc.raw_rate) {
		c = cmd_new(CMD_MEDIA);
		c->rate = enc.raw_rate;
		if ((c->pcm = malloc((size_t)r + 1)) == NULL)
			fatal(EXIT_SYSTEM, "out of memory");
		k = 0;
		if (enc.in_raw_odd)
			c->pcm[k++] = enc.raw_odd;
		memcpy(c->pcm + k, b, (size_t)r);
		k += (size_t)r;
		enc.in_raw_odd = k & 1;
		if (enc.in_raw_odd)
			enc.raw_odd = c->pcm[--k];
		c->n = k;
		enc.last_media_us = mono_us();
		q_push(c);
		return;
	}
	for (off = 0; off < (size_t)r; off += k + 1) {
		nl = memchr(b + off, '\n', (size_t)r - off);
		k = nl ? (size_t)(nl - b) - off : (size_t)r - off;
		if (enc.in.len + k > LINE_MAX_IN)
			fatal(EXIT_BADINPUT, "command line=%lu longer than %d "
			    "bytes", lineno + 1, LINE_MAX_IN);
		if (nl == NULL) {
			buf_add(&enc.in, b + off, k);
			break;
		}
		if (enc.in.len) {
			buf_add(&enc.in, b + off, k);
			command(enc.in.p, enc.in.len, ++lineno);
			enc.in.len = 0;
		} else
			command(b + off, k, ++lineno);
	}
}


static void
set_call(jv start)
{
	jv v;
	const char *e;
	unsigned r;

	v = json_get(start, "stream_sid");
	if (enc.sid == NULL && jv_get_kind(v) == JV_KIND_STRING &&
	    (enc.sid = strdup(jv_string_value(v))) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	jv_free(v);
	if (enc.rate == 0 && (r = rate_of(json_get(start, "sample_rate"), 0)))
		enc.rate = r;
	v = json_get(start, "encoding");
	e = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
	if (enc.mulaw < 0)
		enc.mulaw = strstr(e, "law") != NULL;
	jv_free(v);
	v = json_get(start, "protocol");
	e = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
	if (enc.twilio < 0)
		enc.twilio = strcmp(e, "twilio") == 0;
	jv_free(v);
}

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
	if (strcmp(e, "start") == 0 && !enc.started) {
		set_call(v);
		call_known();
	} else if (strcmp(e, "mark") == 0) {
		enc.marks_back++;
		debug("mark echoed back=%lu sent=%lu", enc.marks_back,
		    enc.marks_sent);
	} else if (strcmp(e, "stop") == 0) {
		enc.stopped = 1;
	}
	jv_free(ev);
	jv_free(v);
}

void
events_readable(void)
{
	char b[16384], *nl;
	size_t off, k;
	ssize_t r;

	r = read(enc.evfd, b, sizeof b);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal_sys(EXIT_SYSTEM, "unable to read events descriptor %d",
		    enc.evfd);
	}
	if (r == 0) {
		enc.ev_open = 0;
		if (!enc.stopped)
			fatal(EXIT_SYSTEM, "the call's events ended without a "
			    "stop (the ingest side failed?)");
		return;
	}
	for (off = 0; off < (size_t)r; off += k + 1) {
		nl = memchr(b + off, '\n', (size_t)r - off);
		k = nl ? (size_t)(nl - b) - off : (size_t)r - off;
		if (enc.ev.len + k <= 1 << 20)
			buf_add(&enc.ev, b + off, k);
		if (nl == NULL)
			break;
		event(enc.ev.p, enc.ev.len);
		enc.ev.len = 0;
	}
}
