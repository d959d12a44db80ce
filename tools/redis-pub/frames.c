/*
 * frames.c - where a frame may end before it is full: at a pause in the
 * input, when less than the allowance (-a) is missing.
 *
 * Why: a frame cannot leave before its last sample arrives.  resample(1)
 * writes each input block's output at once but keeps its look-ahead
 * (2.5 ms at 8 kHz with fir, 1.25 ms at 16 kHz) until the next block, so
 * with frames cut at multiples of -d every frame lacked its last 2.5 ms
 * until the caller's next message, 20 ms later: a 20 ms latency floor.
 * Ending a frame where the input pauses, when it is within the allowance
 * of full, makes the call's first frame that much shorter; from then on
 * every block of input completes exactly one frame, which leaves the
 * moment it is read.  timestamp_ms stays the frame's first sample on the
 * call clock (samples before it x 1000 / rate), seq has no holes, and the
 * audio is the same bytes; only the boundaries move.
 *
 * A pause is a read that found less than it asked for (the pipe was
 * drained).  Input from a regular file never pauses before its end, so
 * it is cut at multiples of -d as before; fast input through a pipe may
 * make some frames up to the allowance short.
 */
#include "call.h"

void
frame_cut_at_pause(struct call *c)
{
	if (c->cur == NULL || c->cur_len < 2 || (c->cur_len & 1) ||
	    c->frame_bytes - c->cur_len > c->early_bytes)
		return;
	push_frame(c, c->cur_len);
}
