/*
 * frame.h - the messages redis-pub writes: channel names from templates,
 * and the JSON audio frame of DESIGN.md's contract:
 *
 * {"interaction_id":"…","tenant_id":"…","seq":42,"timestamp_ms":840,
 *  "sample_rate":24000,"encoding":"pcm16","audio":"<base64 PCM16LE>"}
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>

#include "buf.h"
#include "queue.h"

/*
 * tpl (borrowed) with every "{interaction_id}" and "{tenant_id}" replaced;
 * other braces are kept, so "audio:{{interaction_id}}" gives a Redis
 * Cluster hash tag.  Returns a string the caller owns (free).
 */
char *tpl_expand(const char *tpl, const char *id, const char *tenant);

/*
 * The constant head of every frame of a call, up to "seq":, into *head
 * (reset first).  id and tenant are borrowed and JSON-escaped here.
 */
void frame_head(struct buf *head, const char *id, const char *tenant);

/*
 * The JSON frame for e (borrowed) into *out (reset first): head (borrowed,
 * from frame_head) then seq, timestamp, rate and the base64 audio.
 */
void frame_json(struct buf *out, const struct buf *head, unsigned rate,
    const struct entry *e);

#endif
