/*
 * trickle - copy stdin to stdout in pieces of random size (1 to -m
 * bytes) with random pauses (0 to -u microseconds) between them, so the
 * reader sees the short, odd-sized reads a live pipe gives.  -s seeds
 * the generator: the same seed cuts the same way.
 *
 * usage: trickle [-m max-bytes] [-s seed] [-u max-usec]
 */
#include <stdlib.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"

#define USAGE "trickle [-m max-bytes] [-s seed] [-u max-usec]"

int
main(int argc, char **argv)
{
	static char buf[65536];
	int max = 999, usec = 200, ch;
	unsigned seed = 1;
	ssize_t r;
	size_t want;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "m:s:u:")) != -1) {
		switch (ch) {
		case 'm':
			max = opt_int("max-bytes", optarg, 1, sizeof buf);
			break;
		case 's':
			seed = (unsigned)opt_int("seed", optarg, 0, 1 << 30);
			break;
		case 'u':
			usec = opt_int("max-usec", optarg, 0, 1000000);
			break;
		default:
			usage_exit(USAGE);
		}
	}
	srand(seed);
	for (;;) {
		want = 1 + (size_t)(rand() % max);
		if ((r = read_full(0, buf, want)) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to read");
		if (r == 0)
			break;
		if (write_all(1, buf, (size_t)r) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to write");
		if (usec > 0)
			usleep((useconds_t)(rand() % (usec + 1)));
	}
	return 0;
}
