/*
 * fir.c - the fast engine (-q fir): a polyphase FIR for any ratio that
 * reduces to out/in = L/M with at most FIR_MAX_PHASES phases (3/1 for
 * 8k->24k, 3/2 for 16k->24k).
 *
 * One prototype low-pass, a Kaiser-windowed sinc, is designed at start-up
 * and sampled at the L fractional positions an output can fall on, so
 * each output is one dot product of 2H input samples with one phase's
 * coefficients.  Output k is the band-limited input at time k * M / L
 * exactly: the filter is centred on that instant, so the output is
 * aligned by construction.  The input before the first sample and after
 * the last is taken as silence.
 *
 * Design (why the numbers are what they are): the pass band reaches
 * FIR_PASS of the lower rate's Nyquist frequency (3.4 kHz of 4 kHz at
 * 8k->24k: the whole telephone band), the stop band starts where the
 * pass band's first image (or alias) begins, and FIR_ATTEN dB of
 * stop-band attenuation and pass-band accuracy puts filter error below
 * the 16-bit quantisation floor of a half-scale signal (about 92 dB).
 * Kaiser's formula then gives the length: 38 taps a phase at 8k->24k
 * and 16k->24k, rounded up to 40 (H = 20, a multiple of 4 so 2H suits
 * the two-register vector loop).  H input samples are the lookahead:
 * 2.5 ms at 8 kHz, 1.25 ms at 16 kHz.
 * Between FIR_PASS and the Nyquist frequency the response falls off;
 * when downsampling, what lies just above the new Nyquist frequency may
 * alias into that edge band (never into the pass band).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "conv.h"
#include "msg.h"
#include "sink.h"

#define FIR_MAX_PHASES 1024
#define FIR_MAX_COEFS (1 << 22)	/* 16 MB of coefficients at most */
#define FIR_PASS 0.85
#define FIR_ATTEN 90.0
#define OUTBUF 4096

/*
 * Eight floats: one AVX register, or two SSE/NEON ones (GCC and clang
 * vector extension); the lanes add up in the same order either way, so
 * the output is the same bits on every machine.
 */
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

/* produce() compiled twice, for AVX2 and for the baseline, chosen at start. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FAST_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FAST_CLONES
#endif

struct fir_conv {
	struct conv c;
	long L, M;		/* out / in reduced: L phases, step M */
	long half;		/* H: each output reads 2H inputs */
	long taps;		/* 2H, a multiple of 8 */
	float *coef;		/* L * taps, phase after phase; owned */
	float *x;		/* input not yet used up; owned */
	size_t xlen, xcap;	/* floats valid / allocated in x */
	long long base;		/* input index of x[0] (negative: lead-in) */
	long long n;		/* floor(k * M / L) for the next output k */
	long p;			/* (k * M) mod L: its phase */
	int16_t out[OUTBUF];
};

static long
gcd(long a, long b)
{
	long t;

	while (b != 0) {
		t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Zeroth-order modified Bessel function of the first kind (series). */
static double
bessel_i0(double x)
{
	double sum = 1, term = 1, q = x * x / 4;
	int k;

	for (k = 1; k < 200 && term > sum * 1e-17; k++) {
		term *= q / ((double)k * k);
		sum += term;
	}
	return sum;
}

/*
 * Fill f->coef.  Tap j of phase p weighs input n - H + 1 + j for an
 * output at time n + p / L, i.e. at distance tau = p / L + H - 1 - j.
 */
static void
design(struct fir_conv *f, double fc, double beta)
{
	double tau, r, w, h, sum, *row;
	long p, j;

	if ((row = malloc(f->taps * sizeof *row)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	for (p = 0; p < f->L; p++) {
		sum = 0;
		for (j = 0; j < f->taps; j++) {
			tau = (double)p / f->L + f->half - 1 - j;
			r = tau / f->half;
			w = r * r < 1 ? bessel_i0(beta * sqrt(1 - r * r)) /
			    bessel_i0(beta) : 0;
			h = tau == 0 ? 2 * fc :
			    sin(2 * M_PI * fc * tau) / (M_PI * tau);
			row[j] = h * w;
			sum += row[j];
		}
		/* Unit gain at DC for every phase: no ripple at 1/L steps. */
		for (j = 0; j < f->taps; j++)
			f->coef[p * f->taps + j] = (float)(row[j] / sum);
	}
	free(row);
}

static inline float
dot(const float *a, const float *b, long n)
{
	v8f s = { 0 }, a0, b0;
	v4f lo, hi;
	long i;

	/* memcpy: unaligned loads, compiled to single instructions. */
	for (i = 0; i < n; i += 8) {
		memcpy(&a0, a + i, sizeof a0);
		memcpy(&b0, b + i, sizeof b0);
		s += a0 * b0;
	}
	memcpy(&lo, &s, sizeof lo);
	memcpy(&hi, (const float *)&s + 4, sizeof hi);
	lo += hi;
	return lo[0] + lo[1] + lo[2] + lo[3];
}

/* Rounded to nearest, ties to even, as lrintf; without its call on SSE. */
static int16_t
to_pcm16(float y)
{
	if (y >= 32767.0f)
		return 32767;
	if (y <= -32768.0f)
		return -32768;
#ifdef __SSE__
	return (int16_t)_mm_cvtss_si32(_mm_set_ss(y));
#else
	return (int16_t)lrintf(y);
#endif
}

/*
 * Emit every output whose 2H inputs are all in x; drop what is used up.
 * The loop keeps its state in locals and steps the phase by subtraction
 * (two integer divisions an output were a fifth of its time).
 */
FAST_CLONES static void
produce(struct fir_conv *f, struct sink *sk)
{
	long long avail = f->base + (long long)f->xlen, n = f->n;
	const long taps = f->taps, half = f->half, L = f->L, M = f->M;
	const float *x = f->x - f->base - half + 1;	/* x[n]: window of n */
	long p = f->p;
	size_t k = 0, drop;

	while (n + half < avail) {
		f->out[k++] = to_pcm16(dot(f->coef + p * taps, x + n, taps));
		if (k == OUTBUF) {
			sink_put(sk, f->out, k);
			k = 0;
		}
		/* The next output is M / L input samples on. */
		p += M;
		while (p >= L) {
			p -= L;
			n++;
		}
	}
	f->n = n;
	f->p = p;
	sink_put(sk, f->out, k);
	drop = (size_t)(f->n - f->half + 1 - f->base);
	if (drop > f->xlen)
		drop = f->xlen;
	memmove(f->x, f->x + drop, (f->xlen - drop) * sizeof *f->x);
	f->xlen -= drop;
	f->base += (long long)drop;
}

/* Make room for n more floats in x. */
static void
reserve(struct fir_conv *f, size_t n)
{
	float *nx;

	if (f->xlen + n <= f->xcap)
		return;
	f->xcap = 2 * (f->xlen + n);
	if ((nx = realloc(f->x, f->xcap * sizeof *nx)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	f->x = nx;
}

static void
fir_feed(struct conv *c, const int16_t *in, size_t n, struct sink *sk)
{
	struct fir_conv *f = (struct fir_conv *)c;
	size_t i;

	reserve(f, n);
	for (i = 0; i < n; i++)
		f->x[f->xlen + i] = in[i];
	f->xlen += n;
	produce(f, sk);
}

static void
fir_finish(struct conv *c, struct sink *sk)
{
	struct fir_conv *f = (struct fir_conv *)c;
	size_t pad = (size_t)f->half + 1;

	/* Silence after the end lets the last outputs be computed. */
	reserve(f, pad);
	memset(f->x + f->xlen, 0, pad * sizeof *f->x);
	f->xlen += pad;
	produce(f, sk);
}

static double
fir_delay(const struct conv *c)
{
	return (double)((const struct fir_conv *)c)->half;
}

static void
fir_free(struct conv *c)
{
	struct fir_conv *f = (struct fir_conv *)c;

	if (f == NULL)
		return;
	free(f->coef);
	free(f->x);
	free(f);
}

static const struct conv_ops fir_ops = {
	fir_feed, fir_finish, fir_delay, fir_free
};

struct conv *
fir_conv_new(long in, long out, const char **why)
{
	struct fir_conv *f;
	long g = gcd(in, out), lo = in < out ? in : out;
	double fc, width, beta, len;

	if (out / g > FIR_MAX_PHASES) {
		*why = "rates whose ratio needs more than 1024 phases";
		return NULL;
	}
	if ((f = calloc(1, sizeof *f)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	f->c.ops = &fir_ops;
	f->L = out / g;
	f->M = in / g;
	/* Cut-off and transition width as fractions of the input rate. */
	fc = 0.5 * lo / in;
	width = (1 - FIR_PASS) * lo / in;
	beta = 0.1102 * (FIR_ATTEN - 8.7);
	len = (FIR_ATTEN - 7.95) / (14.36 * width);
	f->half = ((long)ceil(len / 2) + 3) / 4 * 4;
	f->taps = 2 * f->half;
	if ((double)f->L * f->taps > FIR_MAX_COEFS) {
		free(f);
		*why = "rates whose filter would need too many coefficients";
		return NULL;
	}
	f->coef = malloc(f->L * f->taps * sizeof *f->coef);
	if (f->coef == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	design(f, fc, beta);
	/* The lead-in: H - 1 samples of silence before input sample 0. */
	f->base = -(f->half - 1);
	reserve(f, (size_t)f->taps + 4096);
	memset(f->x, 0, (size_t)(f->half - 1) * sizeof *f->x);
	f->xlen = (size_t)(f->half - 1);
	return &f->c;
}
