/*
 * snr - how close PCM16LE mono on stdin is to the ideal rendering of the
 * signal tone(1) made, at the rate it is now: the same sum of sines,
 * computed analytically (not quantised) at RATE, phase 0 at sample 0.
 * Nothing is fitted to the data: a time shift, a missing or extra sample
 * at the start, or aliasing all show up as lost SNR.
 *
 * Prints "snr=DB lag=SAMPLES samples=N": the signal-to-error ratio over
 * samples [skip, N - skip) (skip = -s milliseconds, default 5, to leave
 * out the edges where the band-limited input starts and stops), and, as
 * a diagnosis, the time shift of the first sine's fitted phase in output
 * samples (positive: the data lags the ideal).  Exit 1 when the input
 * is too short to measure.
 *
 * usage: snr -r rate -f freq[,freq...] [-a amp] [-s skip-ms] < pcm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"
#include "sines.h"

#define USAGE "snr -r rate -f freq[,freq...] [-a amp] [-s skip-ms] < pcm"

int
main(int argc, char **argv)
{
	static uint8_t buf[65536];
	double f[MAXF], amp = 0.5, sig = 0, err = 0, ph, ideal, x;
	double sc = 0, cc = 0, ss = 0, xs = 0, xc = 0, a, b, det, lag;
	long long skip_ms = 5, k = 0, skip, total;
	long rate = 0;
	ssize_t r;
	int nf = 0, ch;
	uint8_t *all = NULL;
	size_t len = 0, cap = 0;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "a:f:r:s:")) != -1) {
		switch (ch) {
		case 'a':
			amp = atof(optarg);
			break;
		case 'f':
			nf = parse_freqs(optarg, f, USAGE);
			break;
		case 'r':
			rate = opt_int("rate", optarg, RATE_MIN, RATE_MAX);
			break;
		case 's':
			skip_ms = opt_int("skip", optarg, 0, 1000000);
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (rate == 0 || nf == 0 || amp <= 0)
		usage_exit(USAGE);
	while ((r = read_retry(0, buf, sizeof buf)) > 0) {
		if (len + (size_t)r > cap) {
			cap = 2 * (len + (size_t)r);
			if ((all = realloc(all, cap)) == NULL)
				fatal_sys(EXIT_SYSTEM, "unable to allocate");
		}
		memcpy(all + len, buf, (size_t)r);
		len += (size_t)r;
	}
	if (r < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read");
	total = (long long)(len / 2);
	skip = skip_ms * rate / 1000;
	if (total <= 2 * skip + 16)
		fatal(EXIT_BADINPUT, "too short: samples=%lld", total);
	for (k = skip; k < total - skip; k++) {
		x = le16_get(all + 2 * k);
		ideal = 32767 * amp * sines_at(f, nf, rate, k);
		sig += ideal * ideal;
		err += (x - ideal) * (x - ideal);
		/* Least squares x ~ a sin + b cos of the first sine. */
		ph = 2 * M_PI * fmod(f[0] * k, rate) / rate;
		ss += sin(ph) * sin(ph);
		cc += cos(ph) * cos(ph);
		sc += sin(ph) * cos(ph);
		xs += x * sin(ph);
		xc += x * cos(ph);
	}
	det = ss * cc - sc * sc;
	a = (xs * cc - xc * sc) / det;
	b = (xc * ss - xs * sc) / det;
	/* a sin(w t) + b cos(w t) = A sin(w (t - lag)): lag = -atan2(b, a)/w */
	lag = -atan2(b, a) / (2 * M_PI * f[0] / rate);
	printf("snr=%.1f lag=%.4f samples=%lld\n",
	    err > 0 ? 10 * log10(sig / err) : 999.0, lag, total);
	free(all);
	return 0;
}
