/*
 * clock.c - monotonic time.  See clock.h.
 */
#include <time.h>

#include "clock.h"

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

double
mono_s(void)
{
	return mono_us() / 1e6;
}
