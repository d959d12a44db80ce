/*
 * resample - convert PCM16LE mono from one sample rate to another,
 * streaming: reads raw samples at -i RATE on stdin, writes raw samples at
 * -o RATE (default 24000) on stdout, each piece as soon as it is read.
 *
 * N input samples give exactly round(N * out / in) output samples, and
 * output sample k is the input signal at time k / out (the converter's
 * delay is not a shift of the output, only a hold-back of the last few
 * milliseconds until more input or EOF arrives).  Same rate in and out is
 * a byte-for-byte copy.  Engines: our polyphase FIR (fir.c, the default:
 * the cheapest at telephone-band quality), libsamplerate (src.c, -q best,
 * medium, fastest) or speexdsp's resampler (spx.c, -q speex).  A pair of
 * rates fir cannot do (a ratio that needs more than 1024 phases) falls
 * back to medium, so any caller's rate works without the caller choosing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "io.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "setting.h"
#include "sink.h"

#define USAGE "resample [-n] [-i rate] [-o rate] [-q best|medium|fastest|fir|speex]"
#define HELP \
	"  -i rate     input sample rate in Hz (SAMPLE_RATE)\n" \
	"  -n          check the settings (and the pair of rates) and exit\n" \
	"  -o rate     output sample rate in Hz (RESAMPLE_RATE), default 24000\n" \
	"  -q quality  fir (default; medium for rates it cannot do), medium,\n" \
	"              best, fastest or speex (RESAMPLE_QUALITY)\n"

/* Bytes per read: what arrives is converted at once, whatever its size. */
#define READ_BYTES 32768

static const char *const qname[] = {
	[Q_BEST] = "best", [Q_MEDIUM] = "medium", [Q_FASTEST] = "fastest",
	[Q_FIR] = "fir", [Q_SPEEX] = "speex"
};

static enum quality
parse_quality(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof qname / sizeof qname[0]; i++)
		if (strcmp(s, qname[i]) == 0)
			return (enum quality)i;
	fatal(EXIT_USAGE, "invalid quality: %s (want best, medium, fastest, "
	    "fir or speex)", s);
}

/*
 * The converter of quality *q from in to out (the caller owns it).  fir
 * falls back to medium for a pair it cannot do (*q says which it is);
 * any other quality that cannot do the pair is a usage error.
 */
static struct conv *
conv_open(enum quality *q, long in, long out)
{
	struct conv *c;
	const char *why;

	if (*q == Q_FIR) {
		if ((c = fir_conv_new(in, out, &why)) != NULL)
			return c;
		info("quality fir cannot convert %ld to %ld (%s): medium "
		    "instead", in, out, why);
		*q = Q_MEDIUM;
	}
	if (*q == Q_SPEEX)
		c = spx_conv_new(in, out, &why);
	else
		c = src_conv_new(*q, in, out, &why);
	if (c == NULL)
		fatal(EXIT_USAGE, "quality %s cannot convert %ld to %ld: %s",
		    qname[*q], in, out, why);
	return c;
}

/*
 * Convert everything on stdin through c, or copy whole samples through
 * when c is NULL (same rate); a trailing odd byte is held in *odd.
 * Returns input samples read.
 */
static uint64_t
convert(struct conv *c, struct sink *sk, uint8_t *buf, size_t *odd)
{
	static int16_t s[READ_BYTES / 2];
	uint64_t n = 0;
	size_t have = 0, k, i;
	ssize_t r;

	while ((r = read_retry(0, buf + have, READ_BYTES - have)) > 0) {
		have += (size_t)r;
		k = have / 2;
		if (c == NULL) {
			sink_bytes(sk, buf, 2 * k);
		} else {
			for (i = 0; i < k; i++)
				s[i] = le16_get(buf + 2 * i);
			c->ops->feed(c, s, k, sk);
		}
		sink_flush(sk);
		n += k;
		if (have & 1)
			buf[0] = buf[have - 1];
		have &= 1;
	}
	if (r < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read stdin");
	*odd = have;
	return n;
}

int
main(int argc, char **argv)
{
	static struct sink sk;
	static uint8_t buf[READ_BYTES];
	const char *v;
	long in = 0, out = 0;
	enum quality q = Q_UNSET;
	struct conv *c = NULL;
	uint64_t n, want;
	size_t odd;
	int ch, check = 0;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	while ((ch = getopt(argc, argv, "hi:no:q:")) != -1) {
		switch (ch) {
		case 'i':
			in = opt_int("input rate", optarg, RATE_MIN, RATE_MAX);
			break;
		case 'n':
			check = 1;
			break;
		case 'o':
			out = opt_int("output rate", optarg, RATE_MIN,
			    RATE_MAX);
			break;
		case 'q':
			q = parse_quality(optarg);
			break;
		case 'h':
		default:
			usage_exit(USAGE);
		}
	}
	/* The environment fills in what the options left unset. */
	if (in == 0 && (v = env_get("SAMPLE_RATE")) != NULL)
		in = opt_int("SAMPLE_RATE", v, RATE_MIN, RATE_MAX);
	if (out == 0 && (v = env_get("RESAMPLE_RATE")) != NULL)
		out = opt_int("RESAMPLE_RATE", v, RATE_MIN, RATE_MAX);
	if (out == 0)
		out = 24000;
	if (q == Q_UNSET && (v = env_get("RESAMPLE_QUALITY")) != NULL)
		q = parse_quality(v);
	if (q == Q_UNSET)
		q = Q_FIR;
	if (optind != argc)
		usage_exit(USAGE);
	if (check) {
		/* The input rate may come only with each call: check the rest. */
		if (in != 0 && in != out) {
			c = conv_open(&q, in, out);
			c->ops->free(c);
		}
		debug("settings ok");
		return EXIT_OK;
	}
	if (in == 0)
		fatal(EXIT_USAGE, "no input rate: give -i or set SAMPLE_RATE");

	/* A closed reader must be an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	sink_init(&sk, 1);
	if (in != out) {
		c = conv_open(&q, in, out);
		debug("in=%ld out=%ld quality=%s hold_ms=%.2f", in, out,
		    qname[q], c->ops->delay(c) * 1000 / in);
	}
	n = convert(c, &sk, buf, &odd);
	if (odd)
		warnx_("input ends with half a sample: odd byte dropped "
		    "samples=%llu", (unsigned long long)n);

	/* Exactly round(n * out / in) samples, however the engine ended. */
	want = (2 * n * (uint64_t)out + (uint64_t)in) / (2 * (uint64_t)in);
	sk.limit = want;
	if (c != NULL) {
		c->ops->finish(c, &sk);
		c->ops->free(c);
	}
	if (sk.emitted < want) {
		warnx_("converter ended short: padded with silence "
		    "missing=%llu", (unsigned long long)(want - sk.emitted));
		sink_zeros(&sk, want - sk.emitted);
	}
	sink_flush(&sk);
	debug("done in_samples=%llu out_samples=%llu",
	    (unsigned long long)n, (unsigned long long)sk.emitted);
	if (close_stdout() < 0)
		return EXIT_SYSTEM;
	return EXIT_OK;
}
