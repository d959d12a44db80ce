/*
 * native.c - what ws-accept itself answers on the platform's native
 * protocol (DESIGN.md): {"event":"started"} after the start message, an
 * ack every ack-frames binary frames, and a stop that ends the input.
 * The handler still gets the start message and the PCM.
 */
#include <stdio.h>
#include <string.h>

#include "callstate.h"
#include "counters.h"
#include "logsafe.h"
#include "msg.h"
#include "server.h"

/* Protocol-level replies of the native protocol (DESIGN.md). */
void
native_message(struct call *c, const unsigned char *m, size_t n, int binary)
{
	char ack[64];
	int len;

	if (binary) {
		c->frames++;
		if (srv.cfg.ack_frames && c->frames % srv.cfg.ack_frames == 0) {
			len = snprintf(ack, sizeof ack,
			    "{\"event\":\"ack\",\"seq\":%llu}", c->frames);
			queue_text(c, ack, (size_t)len);
		}
		return;
	}
	if (!c->native_started && memmem(m, n, "\"event\"", 7) &&
	    memmem(m, n, "\"start\"", 7)) {
		c->native_started = 1;
		queue_text(c, "{\"event\":\"started\"}", 19);
	}
}

/*
 * A text message of a native call after its start (m borrowed, whole).
 * The handler's stdin carries raw PCM from then on, so text is never
 * forwarded: it would be published as noise, and an odd length would
 * shift every later sample.  A stop ends the call's input; the rest is
 * ignored.
 */
void
native_control(struct call *c, const char *m, size_t n)
{
	if (memmem(m, n, "\"event\"", 7) && memmem(m, n, "\"stop\"", 6)) {
		info("call=%s native stop: input ends", c->id);
		input_end(c);
	} else
		debug("call=%s native text message ignored bytes=%zu", c->id, n);
}
