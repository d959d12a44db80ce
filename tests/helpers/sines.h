/*
 * sines.h - the test signal shared by tone (which writes it) and snr
 * (which measures against it): a sum of sines given as "300,1000,3100".
 * Header-only because each test helper is one .c file.
 */
#ifndef SINES_H
#define SINES_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "num.h"

#define MAXF 16

/* Parse "300,1000,3100" into f (at most MAXF); returns the count. */
static int
parse_freqs(const char *s, double *f, const char *usage)
{
	char buf[256], *t, *save;
	int n = 0;

	snprintf(buf, sizeof buf, "%s", s);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MAXF)
			usage_exit(usage);
		f[n++] = opt_int("frequency", t, 1, RATE_MAX / 2);
	}
	if (n == 0)
		usage_exit(usage);
	return n;
}

/*
 * Sample k at rate of the sum of the nf sines, each of amplitude 1 and
 * phase 0 at k = 0; fmod keeps the phase exact over hours of samples.
 */
static double
sines_at(const double *f, int nf, long rate, long long k)
{
	double v = 0;
	int i;

	for (i = 0; i < nf; i++)
		v += sin(2 * M_PI * fmod(f[i] * k, rate) / rate);
	return v;
}

#endif
