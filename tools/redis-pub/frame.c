/*
 * frame.c - key templates and JSON audio frames.  See frame.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "msg.h"
#include "frame.h"

static const char *const known[] = {
	"{interaction_id}", "{tenant_id}", "{stream_sid}", "{track}", NULL
};

/* Length of the placeholder at s ("{name}"), or 0 when s starts none. */
static size_t
placeholder(const char *s)
{
	size_t i;

	if (*s != '{')
		return 0;
	for (i = 1; (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
	    s[i] <= '9') || s[i] == '_'; i++)
		;
	return i > 1 && s[i] == '}' ? i + 1 : 0;
}

/* Index in known[] of the placeholder of length n at s, or -1. */
static int
which(const char *s, size_t n)
{
	int i;

	for (i = 0; known[i]; i++)
		if (strlen(known[i]) == n && strncmp(s, known[i], n) == 0)
			return i;
	return -1;
}

const char *
tpl_unknown(const char *tpl, char *buf, size_t len)
{
	size_t n;

	for (; *tpl; tpl++)
		if ((n = placeholder(tpl)) && which(tpl, n) < 0) {
			snprintf(buf, len, "%.*s", (int)n, tpl);
			return buf;
		}
	return NULL;
}

char *
tpl_expand(const char *tpl, const struct names *nm)
{
	const char *v[4] = { nm->id, nm->tenant, nm->stream_sid, nm->track };
	struct buf b = { 0 };
	size_t n;
	int i, has_track = 0;

	while (*tpl) {
		if ((n = placeholder(tpl)) && (i = which(tpl, n)) >= 0) {
			if (v[i])
				buf_adds(&b, v[i]);
			has_track |= i == 3;
			tpl += n;
		} else
			buf_add(&b, tpl++, 1);
	}
	if (!has_track && nm->track && *nm->track &&
	    strcmp(nm->track, "inbound") != 0) {
		buf_add(&b, ":", 1);
		buf_adds(&b, nm->track);
	}
	buf_add(&b, "", 1);
	return b.p;
}

static void
field(struct buf *b, const char *name, const char *v)
{
	buf_adds(b, ",\"");
	buf_adds(b, name);
	buf_adds(b, "\":\"");
	buf_add_json(b, v);
	buf_adds(b, "\"");
}

void
frame_head(struct buf *head, const struct names *n)
{
	head->len = 0;
	buf_adds(head, "{\"interaction_id\":\"");
	buf_add_json(head, n->id);
	buf_adds(head, "\"");
	field(head, "tenant_id", n->tenant);
	if (n->stream_sid)
		field(head, "stream_sid", n->stream_sid);
	if (n->track)
		field(head, "track", n->track);
	buf_adds(head, ",\"seq\":");
}

void
frame_json(struct buf *out, const struct buf *head, unsigned rate,
    uint64_t base, const struct entry *e)
{
	static const char enc[] = ",\"encoding\":\"pcm16\",\"audio\":\"";

	out->len = 0;
	buf_add(out, head->p, head->len);
	buf_add_u64(out, base + e->seq);
	buf_adds(out, ",\"timestamp_ms\":");
	buf_add_u64(out, e->ts_ms);
	buf_adds(out, ",\"sample_rate\":");
	buf_add_u64(out, rate);
	buf_add(out, enc, sizeof enc - 1);
	if (buf_reserve(out, BASE64_ENCODED_LEN(e->len) + 1) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to allocate a frame");
	out->len += base64_encode(e->data, e->len, out->p + out->len);
	buf_add(out, "\"}", 2);
}
