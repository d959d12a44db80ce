/*
 * clock.h - the monotonic clock every timeout and interval is measured
 * on.  Never the wall clock: an NTP step would close live calls or stall
 * reconnects.  Wall-clock time is only for stamping things people read.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t mono_us(void);
int64_t mono_ms(void);
double mono_s(void);

#endif
