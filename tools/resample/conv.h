/*
 * conv.h - the interface every resampling engine of resample(1) offers.
 *
 * An engine takes PCM16 samples in whatever pieces they arrive and hands
 * each output sample to the sink as soon as it can be computed.  Output
 * sample k is the signal at input time k * in / out: the engines are
 * aligned, there is no shift left to compensate.  After the finish call
 * the engine has emitted at least round(N * out / in) samples for N input
 * samples; the sink drops any excess (sink.c).
 */
#ifndef CONV_H
#define CONV_H

#include <stddef.h>
#include <stdint.h>

struct sink;

enum quality {
	Q_BEST,		/* libsamplerate SRC_SINC_BEST_QUALITY */
	Q_MEDIUM,	/* libsamplerate SRC_SINC_MEDIUM_QUALITY */
	Q_FASTEST,	/* libsamplerate SRC_SINC_FASTEST */
	Q_FIR,		/* our own polyphase Kaiser FIR (fir.c) */
	Q_SPEEX,	/* speexdsp's resampler, quality 4 (spx.c) */
	Q_UNSET		/* not chosen yet (option parsing) */
};

struct conv;

struct conv_ops {
	/* Convert n samples (borrowed); pass each finished output to sk. */
	void (*feed)(struct conv *c, const int16_t *in, size_t n,
	    struct sink *sk);
	/* End of input: emit everything still held back. */
	void (*finish)(struct conv *c, struct sink *sk);
	/* Input samples held back before an output can leave (latency). */
	double (*delay)(const struct conv *c);
	/* Consumes c. */
	void (*free)(struct conv *c);
};

/* Every engine's state starts with this. */
struct conv {
	const struct conv_ops *ops;
};

/*
 * A converter from rate in to rate out (in != out).  Returns a converter
 * owned by the caller (release with c->ops->free), or NULL with a reason
 * in *why (a static string) when the engine cannot do this pair.
 */
struct conv *src_conv_new(enum quality q, long in, long out, const char **why);
struct conv *fir_conv_new(long in, long out, const char **why);
struct conv *spx_conv_new(long in, long out, const char **why);

#endif
