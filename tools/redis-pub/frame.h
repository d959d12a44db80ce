/*
 * frame.h - the messages redis-pub writes: key names from templates, and
 * the JSON audio frame of DESIGN.md's contract:
 *
 * {"interaction_id":"…","tenant_id":"…","stream_sid":"…","track":"inbound",
 *  "seq":42,"timestamp_ms":840,"sample_rate":24000,"encoding":"pcm16",
 *  "audio":"<base64 PCM16LE>"}
 *
 * stream_sid and track appear when the pipeline was given them.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "queue.h"

/* What a template's placeholders stand for; all borrowed, NULL: unknown. */
struct names {
	const char *id, *tenant, *stream_sid, *track;
};

/*
 * The first placeholder of tpl (borrowed) that is not one of ours, as
 * "{name}" in buf (size len), or NULL when every one is known.  A
 * placeholder is '{', lowercase letters, digits or '_', '}'.
 */
const char *tpl_unknown(const char *tpl, char *buf, size_t len);

/*
 * tpl (borrowed) with {interaction_id}, {tenant_id}, {stream_sid} and
 * {track} replaced (an unknown value by the empty string); other braces are
 * kept, so "audio:{{interaction_id}}" gives a Redis Cluster hash tag.  When
 * tpl does not say {track} and the track is known and not "inbound",
 * ":<track>" is appended: each track of a call gets its own key whatever
 * the template.  Returns a string the caller owns (free).
 */
char *tpl_expand(const char *tpl, const struct names *n);

/*
 * The constant head of every frame of a call, up to "seq":, into *head
 * (reset first).  The names are borrowed and JSON-escaped here.
 */
void frame_head(struct buf *head, const struct names *n);

/*
 * The JSON frame for e (borrowed) into *out (reset first): head (borrowed,
 * from frame_head) then base + e's seq, its timestamp, rate and the base64
 * audio.
 */
void frame_json(struct buf *out, const struct buf *head, unsigned rate,
    uint64_t base, const struct entry *e);

#endif
