/*
 * feedhold - measure what a filter holds back: run cmd, write all of our
 * stdin to it, keep its stdin open (no EOF: a live call goes on), and
 * read its output.
 *
 * -b BYTES: read until exactly BYTES have come out, then print
 * "got=BYTES".  If the filter holds back more than that, this blocks;
 * -t SECONDS (default 20) is only a guard against hanging the test
 * suite, not a timing: it ends with "timeout: got=N" and exit 1.
 * -w MS (benchmarks): read until no output came for MS milliseconds and
 * print "got=N".
 * Then close cmd's stdin, read the rest and print "total=N"; exit with
 * cmd's status.
 *
 * usage: feedhold -b bytes | -w ms [-t seconds] -- cmd [arg ...] < input
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"
#include "spawnchild.h"

#define USAGE "feedhold -b bytes | -w ms [-t seconds] -- cmd [arg ...] < input"

static volatile sig_atomic_t got;

static void
on_alarm(int sig)
{
	char line[64];
	int n;

	(void)sig;
	n = snprintf(line, sizeof line, "timeout: got=%ld\n", (long)got);
	if (write(1, line, (size_t)n) < 0)
		_exit(111);
	_exit(1);
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct spawn sp = { 0 };
	int in[2], out[2], ch, st;
	long bytes = -1, quiet = -1, guard = 20, total;
	struct pollfd pf;
	ssize_t r;
	pid_t pid;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "b:t:w:")) != -1) {
		switch (ch) {
		case 'b':
			bytes = opt_int("bytes", optarg, 0, 1 << 30);
			break;
		case 't':
			guard = opt_int("seconds", optarg, 1, 3600);
			break;
		case 'w':
			quiet = opt_int("ms", optarg, 1, 60000);
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (optind == argc || (bytes < 0) == (quiet < 0))
		usage_exit(USAGE);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to make pipes");
	sp.argv = argv + optind;
	sp.fds[0] = (struct spawn_fd){ in[0], 0 };
	sp.fds[1] = (struct spawn_fd){ out[1], 1 };
	sp.nfds = 2;
	if ((pid = spawn_child(&sp)) < 0)
		fatal_sys(spawn_exec_status(errno), "unable to run %s",
		    argv[optind]);
	close(in[0]);
	close(out[1]);
	signal(SIGPIPE, SIG_IGN);
	/* Input is small (a test's); the child's output pipe holds it. */
	while ((r = read_retry(0, buf, sizeof buf)) > 0)
		if (write_all(in[1], buf, (size_t)r) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to write to child");
	signal(SIGALRM, on_alarm);
	alarm((unsigned)guard);
	pf.fd = out[0];
	pf.events = POLLIN;
	for (;;) {
		if (bytes >= 0 && got >= bytes)
			break;
		if (quiet > 0 && poll(&pf, 1, (int)quiet) == 0)
			break;
		r = read_retry(out[0], buf, bytes >= 0 &&
		    bytes - got < (long)sizeof buf ? (size_t)(bytes - got) :
		    sizeof buf);
		if (r <= 0)
			break;
		got += r;
	}
	alarm(0);
	printf("got=%ld\n", (long)got);
	close(in[1]);
	total = got;
	while ((r = read_retry(out[0], buf, sizeof buf)) > 0)
		total += r;
	printf("total=%ld\n", total);
	if (waitpid(pid, &st, 0) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to wait");
	return wait_status_code(st);
}
