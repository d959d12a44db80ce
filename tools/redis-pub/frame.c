/*
 * frame.c - channel templates and JSON audio frames.  See frame.h.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "msg.h"
#include "frame.h"

char *
tpl_expand(const char *tpl, const char *id, const char *tenant)
{
	static const char kid[] = "{interaction_id}", kten[] = "{tenant_id}";
	struct buf b = { 0 };

	while (*tpl) {
		if (strncmp(tpl, kid, sizeof kid - 1) == 0) {
			buf_adds(&b, id);
			tpl += sizeof kid - 1;
		} else if (strncmp(tpl, kten, sizeof kten - 1) == 0) {
			buf_adds(&b, tenant);
			tpl += sizeof kten - 1;
		} else
			buf_add(&b, tpl++, 1);
	}
	buf_add(&b, "", 1);
	return b.p;
}

void
frame_head(struct buf *head, const char *id, const char *tenant)
{
	head->len = 0;
	buf_adds(head, "{\"interaction_id\":\"");
	buf_add_json(head, id);
	buf_adds(head, "\",\"tenant_id\":\"");
	buf_add_json(head, tenant);
	buf_adds(head, "\",\"seq\":");
}

void
frame_json(struct buf *out, const struct buf *head, unsigned rate,
    const struct entry *e)
{
	static const char enc[] = ",\"encoding\":\"pcm16\",\"audio\":\"";

	out->len = 0;
	buf_add(out, head->p, head->len);
	buf_add_u64(out, e->seq);
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
