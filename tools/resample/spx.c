/*
 * spx.c - the speexdsp engine (-q speex): speexdsp's resampler at its
 * quality 4, the lowest that keeps the whole telephone band (83 dB at
 * 3.4 kHz, 88 dB at 3.1 kHz, 8k->24k); quality 3 loses 3.4 kHz (30 dB).
 *
 * speex_resampler_skip_zeros() drops the filter's initial delay, which
 * makes the output aligned (output k is input time k * in / out, checked
 * against the ideal rendering); what stays is a hold-back of
 * speex_resampler_get_input_latency() input samples (32 at quality 4:
 * 4 ms at 8 kHz).  At the end we feed that many zeros (the signal after
 * the end is silence) and the sink trims to the exact count.
 */
#include <speex/speex_resampler.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "msg.h"
#include "sink.h"

#define SPX_QUALITY 4
#define OUTCAP 8192

struct spx_conv {
	struct conv c;
	SpeexResamplerState *st;	/* owned */
	long in, out;
	int lat;			/* input samples held back */
	int16_t buf[OUTCAP];
};

/*
 * Run n samples (borrowed) through the resampler.  It takes what fits
 * the output buffer; offer the rest again until all is taken.
 */
static void
spx_feed(struct conv *c, const int16_t *in, size_t n, struct sink *sk)
{
	struct spx_conv *s = (struct spx_conv *)c;
	spx_uint32_t used, made;
	int err;

	while (n > 0) {
		used = n > 65536 ? 65536 : (spx_uint32_t)n;
		made = OUTCAP;
		err = speex_resampler_process_int(s->st, 0, in, &used,
		    s->buf, &made);
		if (err != RESAMPLER_ERR_SUCCESS)
			fatal(EXIT_SYSTEM, "speexdsp: %s",
			    speex_resampler_strerror(err));
		sink_put(sk, s->buf, made);
		if (used == 0 && made == 0)
			fatal(EXIT_SYSTEM, "speexdsp: no progress with %zu "
			    "samples offered", n);
		in += used;
		n -= used;
	}
}

static void
spx_finish(struct conv *c, struct sink *sk)
{
	struct spx_conv *s = (struct spx_conv *)c;
	static const int16_t zero[256];
	size_t pad = (size_t)s->lat + (size_t)(s->in / s->out) + 2, k;

	while (pad > 0) {
		k = pad < 256 ? pad : 256;
		spx_feed(c, zero, k, sk);
		pad -= k;
	}
}

static double
spx_delay(const struct conv *c)
{
	return ((const struct spx_conv *)c)->lat;
}

static void
spx_free(struct conv *c)
{
	struct spx_conv *s = (struct spx_conv *)c;

	if (s == NULL)
		return;
	if (s->st)
		speex_resampler_destroy(s->st);
	free(s);
}

static const struct conv_ops spx_ops = {
	spx_feed, spx_finish, spx_delay, spx_free
};

struct conv *
spx_conv_new(long in, long out, const char **why)
{
	struct spx_conv *s;
	int err;

	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	s->c.ops = &spx_ops;
	s->in = in;
	s->out = out;
	s->st = speex_resampler_init(1, (spx_uint32_t)in, (spx_uint32_t)out,
	    SPX_QUALITY, &err);
	if (s->st == NULL) {
		free(s);
		*why = speex_resampler_strerror(err);
		return NULL;
	}
	speex_resampler_skip_zeros(s->st);
	s->lat = speex_resampler_get_input_latency(s->st);
	return &s->c;
}
