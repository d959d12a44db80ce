/*
 * audio.c - PCM16LE cut into frames of -d ms, each queued the moment it is
 * complete, with its seq and timestamp.  See call.h.
 */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "clock.h"
#include "msg.h"

/* Queue the frame being filled, len bytes of it. */
void
push_frame(struct call *c, size_t len)
{
	struct entry *e = c->cur, *r;

	/*
	 * With a claim, the seq this frame takes is reserved in Redis before
	 * the frame gets there (the queue keeps the order): a publisher that
	 * dies leaves the next stream of the call a hole, never a repeat.
	 */
	if (c->p.claim_s && !c->oneshot && c->seq >= c->reserved) {
		c->reserved = c->seq + SEQ_BLOCK;
		r = q_new(ENT_SEQ, 0);
		r->seq = c->reserved;
		q_push(&c->p.q, r);
	}
	e->made_us = mono_us();
	e->len = len;
	e->seq = c->seq++;
	e->ts_ms = c->samples * 1000 / c->p.rate;
	c->samples += len / 2;
	c->cur = NULL;
	c->cur_len = 0;
	/* Once per outage (per connection made), the totals say the rest. */
	if (q_push(&c->p.q, e) && c->drop_warned != c->p.cn.connects + 1) {
		c->drop_warned = c->p.cn.connects + 1;
		warnx_("backlog full: dropping the oldest frames frames=%zu",
		    c->p.q.max_frames);
	}
	if (c->p.q.frames > c->backlog_hw)
		c->backlog_hw = c->p.q.frames;
	if (c->nheld)
		release_held(c, 0);
}

/* Cut n bytes of PCM (borrowed) into frames; each is queued when complete. */
void
add_pcm(struct call *c, const unsigned char *s, size_t n)
{
	size_t take;

	while (n) {
		if (c->cur == NULL)
			c->cur = q_new(ENT_FRAME, c->frame_bytes);
		take = c->frame_bytes - c->cur_len;
		if (take > n)
			take = n;
		memcpy(c->cur->data + c->cur_len, s, take);
		c->cur_len += take;
		s += take;
		n -= take;
		if (c->cur_len == c->frame_bytes)
			push_frame(c, c->frame_bytes);
	}
}

/* Input ended (EOF, read error or signal): queue the last partial frame. */
void
end_input(struct call *c, int64_t now)
{
	c->in_eof = 1;
	c->eof_ms = now;
	if (c->cur_len & 1) {
		c->odd_byte = 1;
		warnx_("input ended in the middle of a sample: last byte ignored");
	}
	if (c->cur_len >= 2)
		push_frame(c, c->cur_len & ~(size_t)1);
	else if (c->cur) {
		free(c->cur);
		c->cur = NULL;
		c->cur_len = 0;
	}
	release_held(c, 1);
	info("end of input frames=%llu duration_ms=%llu unacknowledged=%zu",
	    (unsigned long long)c->seq,
	    (unsigned long long)(c->samples * 1000 / c->p.rate), c->p.q.frames);
}
