/*
 * pace - copy stdin to stdout at the pace of a live call: -b bytes
 * (default 960, 20 ms of 24 kHz PCM16) every -i milliseconds (default 20)
 * on an absolute schedule, so the pace does not drift with scheduling
 * delays.  The last piece is whatever remains.  For tests and benchmarks
 * that need real-time input; nothing asserts on its timing.
 *
 * usage: pace [-b bytes] [-i ms]
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"

#define USAGE "pace [-b bytes] [-i ms]"

int
main(int argc, char *argv[])
{
	struct timespec next;
	int bytes = 960, ms = 20, ch;
	ssize_t n;
	char *buf;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "b:i:")) != -1) {
		switch (ch) {
		case 'b': bytes = opt_int("-b", optarg, 1, 1 << 24); break;
		case 'i': ms = opt_int("-i", optarg, 1, 60000); break;
		default: usage_exit(USAGE);
		}
	}
	if ((buf = malloc((size_t)bytes)) == NULL)
		fatal_sys(EXIT_SYSTEM, "malloc");
	clock_gettime(CLOCK_MONOTONIC, &next);
	while ((n = read_full(0, buf, (size_t)bytes)) > 0) {
		if (write_all(1, buf, (size_t)n) < 0)
			fatal_sys(EXIT_SYSTEM, "write");
		next.tv_nsec += (long)ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
	}
	if (n < 0)
		fatal_sys(EXIT_SYSTEM, "read");
	free(buf);
	return 0;
}
