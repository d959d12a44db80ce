/*
 * tone - write a test signal for resample(1): the sum of sines at the
 * given frequencies, each of amplitude AMP (fraction of full scale), as
 * PCM16LE mono at RATE on stdout.  Sample k is
 * round(32767 * AMP * sum sin(2 pi f k / RATE)): every sine starts at
 * phase 0 at sample 0, which snr(1) relies on.
 *
 * usage: tone -r rate -f freq[,freq...] [-a amp] -n samples
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

#define USAGE "tone -r rate -f freq[,freq...] [-a amp] -n samples"

int
main(int argc, char **argv)
{
	static uint8_t buf[8192];
	double f[MAXF], amp = 0.5, v;
	long long n = -1, k;
	long rate = 0;
	size_t used = 0;
	int nf = 0, ch;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "a:f:n:r:")) != -1) {
		switch (ch) {
		case 'a':
			amp = atof(optarg);
			break;
		case 'f':
			nf = parse_freqs(optarg, f, USAGE);
			break;
		case 'n':
			if (parse_long(optarg, 0, 1LL << 40, &n) < 0)
				usage_exit(USAGE);
			break;
		case 'r':
			rate = opt_int("rate", optarg, RATE_MIN, RATE_MAX);
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (rate == 0 || nf == 0 || n < 0 || amp <= 0 || amp > 1)
		usage_exit(USAGE);
	for (k = 0; k < n; k++) {
		v = sines_at(f, nf, rate, k);
		le16_put(buf + used, (int16_t)lrint(32767 * amp * v));
		used += 2;
		if (used == sizeof buf || k == n - 1) {
			if (write_all(1, buf, used) < 0)
				fatal_sys(EXIT_SYSTEM, "unable to write");
			used = 0;
		}
	}
	return 0;
}
