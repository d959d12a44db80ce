/*
 * src.c - the libsamplerate engine (the default): SRC_SINC_* converters
 * driven in streaming mode.
 *
 * What libsamplerate 0.2.2 does, measured with an impulse: its sinc
 * converters are already aligned (output k is input time k * in / out,
 * no shift), but they hold back about half their filter length of input
 * until more arrives or end_of_input is set: 20 input samples for
 * SRC_SINC_FASTEST, 47 for MEDIUM, 144 for BEST at 8k->24k (twice that
 * when downsampling by 2).  At end of input they stop at the last output
 * whose time is inside the input, so the last fraction of a sample can
 * be missing: we feed a few zeros first (the signal after the end is
 * silence, as for the FIR engine) and the sink trims to the exact count.
 * SRC_LINEAR is not offered: it reads out of bounds on a first call with
 * exactly one frame.
 */
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "msg.h"
#include "sink.h"

/* Input frames converted per src_process call. */
#define CHUNK 4096

struct src_conv {
	struct conv c;
	SRC_STATE *st;		/* owned */
	double ratio;
	double hold;		/* input samples held back (measured) */
	long in, out;
	float *fin;		/* CHUNK floats of input, owned */
	float *fout;		/* ocap floats of output, owned */
	int16_t *sout;		/* ocap samples of output, owned */
	size_t ocap;
};

/*
 * Run n floats of input (borrowed) through the converter, passing all
 * output on.  libsamplerate may take fewer frames than offered: offer
 * the rest again until every frame is taken and nothing more comes out.
 */
static void
run(struct src_conv *s, const float *in, size_t n, int eof, struct sink *sk)
{
	SRC_DATA d;
	int err;

	for (;;) {
		memset(&d, 0, sizeof d);
		d.data_in = in;
		d.input_frames = (long)n;
		d.data_out = s->fout;
		d.output_frames = (long)s->ocap;
		d.src_ratio = s->ratio;
		d.end_of_input = eof;
		if ((err = src_process(s->st, &d)) != 0)
			fatal(EXIT_SYSTEM, "libsamplerate: %s",
			    src_strerror(err));
		if (d.output_frames_gen > 0) {
			src_float_to_short_array(s->fout, s->sout,
			    (int)d.output_frames_gen);
			sink_put(sk, s->sout, (size_t)d.output_frames_gen);
		}
		in += d.input_frames_used;
		n -= (size_t)d.input_frames_used;
		if (d.output_frames_gen == 0 && n == 0)
			break;
		/* Never drop input silently on a converter that stalls. */
		if (d.output_frames_gen == 0 && d.input_frames_used == 0)
			fatal(EXIT_SYSTEM, "libsamplerate: no progress "
			    "with %zu frames offered", n);
	}
}

static void
src_feed(struct conv *c, const int16_t *in, size_t n, struct sink *sk)
{
	struct src_conv *s = (struct src_conv *)c;
	size_t k;

	while (n > 0) {
		k = n < CHUNK ? n : CHUNK;
		src_short_to_float_array(in, s->fin, (int)k);
		run(s, s->fin, k, 0, sk);
		in += k;
		n -= k;
	}
}

static void
src_finish(struct conv *c, struct sink *sk)
{
	struct src_conv *s = (struct src_conv *)c;
	size_t pad;

	/*
	 * round() may ask for one output past the last one libsamplerate
	 * gives; its time is at most one output period past the input's end.
	 */
	pad = (size_t)(s->in / s->out) + 2;
	memset(s->fin, 0, pad * sizeof *s->fin);
	run(s, s->fin, pad, 0, sk);
	run(s, s->fin, 0, 1, sk);
}

static double
src_delay(const struct conv *c)
{
	return ((const struct src_conv *)c)->hold;
}

static void
src_free(struct conv *c)
{
	struct src_conv *s = (struct src_conv *)c;

	if (s == NULL)
		return;
	if (s->st)
		src_delete(s->st);
	free(s->fin);
	free(s->fout);
	free(s->sout);
	free(s);
}

static const struct conv_ops src_ops = {
	src_feed, src_finish, src_delay, src_free
};

struct conv *
src_conv_new(enum quality q, long in, long out, const char **why)
{
	static const int type[] = {
		[Q_BEST] = SRC_SINC_BEST_QUALITY,
		[Q_MEDIUM] = SRC_SINC_MEDIUM_QUALITY,
		[Q_FASTEST] = SRC_SINC_FASTEST,
	};
	/* Held-back input at ratio >= 1, measured (see top); x in/out below. */
	static const double hold[] = {
		[Q_BEST] = 144, [Q_MEDIUM] = 47, [Q_FASTEST] = 20
	};
	struct src_conv *s;
	int err;

	if (q != Q_BEST && q != Q_MEDIUM && q != Q_FASTEST) {
		*why = "not a libsamplerate quality";
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	s->c.ops = &src_ops;
	s->in = in;
	s->out = out;
	s->ratio = (double)out / (double)in;
	s->hold = in > out ? hold[q] * in / out : hold[q];
	/* Output of one chunk, plus what the converter held back. */
	s->ocap = (size_t)(CHUNK * s->ratio) + 1024;
	s->fin = malloc(CHUNK * sizeof *s->fin);
	s->fout = malloc(s->ocap * sizeof *s->fout);
	s->sout = malloc(s->ocap * sizeof *s->sout);
	if (s->fin == NULL || s->fout == NULL || s->sout == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	if ((s->st = src_new(type[q], 1, &err)) == NULL)
		fatal(EXIT_SYSTEM, "libsamplerate: %s", src_strerror(err));
	if (src_is_valid_ratio(s->ratio) == 0) {
		src_free(&s->c);
		*why = "ratio outside what libsamplerate accepts";
		return NULL;
	}
	return &s->c;
}
