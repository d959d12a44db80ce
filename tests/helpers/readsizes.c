/*
 * readsizes - read stdin to EOF with one big buffer and print the size of
 * every read(2), one a line: what a filter's writes look like from the
 * reading side (a pipe read returns whole small writes, never splits one
 * while the buffer has room).
 *
 * usage: readsizes < input
 */
#include <stdio.h>

#include "io.h"
#include "msg.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	ssize_t r;

	(void)argc;
	msg_init(argv[0]);
	while ((r = read_retry(0, buf, sizeof buf)) > 0)
		printf("%zd\n", r);
	if (r < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read stdin");
	return fflush(stdout) ? EXIT_SYSTEM : EXIT_OK;
}
