/*
 * ingest-track - one track's pipeline in a call: [resample |] redis-pub,
 * and the track's stop in Redis whichever stage dies.
 *
 *	exotel-decode -e 3 -- ingest-track
 *
 * exotel-decode runs it once per track of each stream, with the track's
 * PCM (SAMPLE_RATE Hz) on stdin and its event lines on descriptor 3.  It
 * runs, as children in its own process group (ws-accept's signals to the
 * call reach them directly):
 *
 *	resample -q $RESAMPLE_QUALITY -o $OUTPUT_RATE | redis-pub -E 3 -P 4 -r $OUTPUT_RATE
 *
 * (redis-pub alone when SAMPLE_RATE is OUTPUT_RATE).  This replaces a sh
 * script with three subshells and a mktemp: a call's set-up is a few
 * milliseconds shorter and two processes smaller, and every exit is
 * still accounted for:
 *
 *  - redis-pub keeps its totals (-P 4) in an anonymous memory file; when
 *    it was killed, nothing published the stop, so a one-shot
 *    "redis-pub -s" does, from the decoder's stop and those totals (what
 *    never reached Redis counted as dropped);
 *  - when resample fails (or cannot run, or dies because redis-pub
 *    failed), its PCM is drained here to the end of the call: the decoder
 *    is never blocked and the call goes on; redis-pub sees the end of its
 *    input and publishes the stop, whose counts say what was lost.
 *
 * Exit status: redis-pub's when it failed, else resample's (0 when both
 * ended well); a signal is 128 + its number.  Writes nothing on stdout
 * (it goes to the caller).  See ingest-track(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "setting.h"
#include "spawnchild.h"

#define USAGE "ingest-track"
#define HELP \
"  runs one track's pipeline: [resample |] redis-pub, PCM on stdin, events on fd 3\n" \
"  SAMPLE_RATE       rate of the PCM on stdin (exotel-decode sets it)\n" \
"  OUTPUT_RATE       rate of the frames in Redis (24000)\n" \
"  RESAMPLE_QUALITY  resample -q (fir)\n" \
"  the rest of the environment goes to resample and redis-pub\n"

static pid_t kids[2];		/* resample, redis-pub: 0 when not running */

/* A signal for this process alone is passed on to the stages. */
static void
pass_on(int sig)
{
	int i, e = errno;

	for (i = 0; i < 2; i++)
		if (kids[i] > 0)
			kill(kids[i], sig);
	errno = e;
}

/*
 * The totals file on descriptor 4: anonymous memory shared by redis-pub
 * and, if it dies, the one-shot redis-pub after it.  Without one the call
 * goes on (a stop made without redis-pub then counts nothing).
 */
static void
totals_file(void)
{
	int fd = memfd_create("ingest-track-totals", 0);

	if (fd < 0) {
		warnx_("no totals file (%s): a stop made without redis-pub "
		    "will count nothing", strerror(errno));
		fd = open("/dev/null", O_WRONLY);
	}
	if (fd >= 0 && fd != 4) {
		if (dup2(fd, 4) < 0)
			fatal_sys(EXIT_SYSTEM, "dup2");
		close(fd);
	}
}

/* Start argv with stdin from in, stdout to out; fds 3 and 4 kept or not. */
static pid_t
start(char *const *argv, int in, int out, int keep34)
{
	struct spawn sp = { .argv = argv, .new_pgrp = 0 };
	pid_t pid;

	sp.fds[sp.nfds++] = (struct spawn_fd){ in, 0 };
	sp.fds[sp.nfds++] = (struct spawn_fd){ out, 1 };
	if (keep34) {
		sp.fds[sp.nfds++] = (struct spawn_fd){ 3, 3 };
		sp.fds[sp.nfds++] = (struct spawn_fd){ 4, 4 };
	}
	if ((pid = spawn_child(&sp)) < 0) {
		warnx_("%s: %s", argv[0], strerror(errno));
		return -spawn_exec_status(errno);
	}
	return pid;
}

/*
 * Start stage i (0 resample, 1 redis-pub) into kids[i], with the signals
 * pass_on forwards held meanwhile: one that comes between the start and
 * the store is passed on, not lost.  Returns the pid or -(exit status).
 */
static pid_t
start_kid(int i, char *const *argv, int in, int out, int keep34)
{
	sigset_t hold, old;
	pid_t pid;

	sigemptyset(&hold);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGHUP);
	sigprocmask(SIG_BLOCK, &hold, &old);
	pid = start(argv, in, out, keep34);
	kids[i] = pid > 0 ? pid : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* Read stdin to its end: the decoder goes on when a stage is gone. */
static void
drain_stdin(void)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) != 0)
		if (n < 0 && errno != EINTR)
			break;
}

/*
 * resample failed: the decoder must not be blocked, so its PCM is read
 * here to the end of the call (redis-pub, at the end of its input,
 * publishes the stop with the loss counted).  Unless redis-pub was
 * killed: its one-shot stop (redis-pub -s, in main) reads the PCM itself
 * and should not wait for the call's end.  *rp: redis-pub's status once
 * it is reaped.
 */
static void
resample_failed(int *rp)
{
	int ws;

	if (kids[1] > 0 && waitpid(kids[1], &ws, WNOHANG) == kids[1]) {
		kids[1] = 0;
		*rp = wait_status_code(ws);
	}
	if (kids[1] == 0 && *rp >= 128)
		return;
	drain_stdin();
}

/* Wait for pid; its status in the shared table (exit code or 128+sig). */
static int
reap(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return EXIT_SYSTEM;
	return wait_status_code(ws);
}

int
main(int argc, char **argv)
{
	const char *in_rate, *out_rate, *quality;
	char *rs_argv[] = { "resample", "-q", NULL, "-o", NULL, NULL };
	char *rp_argv[] = { "redis-pub", "-E", "3", "-P", "4", "-r", NULL,
	    NULL, NULL };
	struct sigaction sa;
	int p[2], null, rs = 0, rp = 0, ws;
	pid_t pid;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	if (argc > 1)
		usage_exit(USAGE);
	in_rate = setting_str(NULL, "SAMPLE_RATE", "");
	out_rate = setting_str(NULL, "OUTPUT_RATE", "24000");
	quality = setting_str(NULL, "RESAMPLE_QUALITY", "fir");
	rs_argv[2] = (char *)quality;
	rs_argv[4] = (char *)out_rate;
	rp_argv[6] = (char *)out_rate;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(3, F_GETFD) < 0)
		fatal(EXIT_USAGE, "no event pipe on descriptor 3 (run by "
		    "exotel-decode -e 3 -- ingest-track)");
	totals_file();
	/* Only redis-pub gets 3 and 4 (spawn_child gives it them). */
	fcntl(3, F_SETFD, FD_CLOEXEC);
	fcntl(4, F_SETFD, FD_CLOEXEC);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "/dev/null");

	if (strcmp(in_rate, out_rate) == 0) {
		if ((pid = start_kid(1, rp_argv, 0, null, 1)) < 0)
			return (int)-pid;
		rp = reap(pid);
		kids[1] = 0;
	} else {
		if (pipe2(p, O_CLOEXEC) < 0)
			fatal_sys(EXIT_SYSTEM, "pipe");
		if ((pid = start_kid(0, rs_argv, 0, p[1], 0)) < 0)
			rs = (int)-pid;
		if ((pid = start_kid(1, rp_argv, p[0], null, 1)) < 0)
			rp = (int)-pid;
		close(p[0]);
		close(p[1]);
		if (rs != 0)
			resample_failed(&rp);
		/* Either may end first. */
		while (kids[0] > 0 || kids[1] > 0) {
			if ((pid = waitpid(-1, &ws, 0)) < 0) {
				if (errno == EINTR)
					continue;
				rp = EXIT_SYSTEM;	/* lost track: say so */
				break;
			}
			if (pid == kids[1]) {
				kids[1] = 0;
				rp = wait_status_code(ws);
			} else if (pid == kids[0]) {
				kids[0] = 0;
				rs = wait_status_code(ws);
				if (rs != 0)
					resample_failed(&rp);
			}
		}
	}
	if (rp >= 128) {
		/*
		 * Killed: nothing published its stop.  redis-pub -s does,
		 * once the decoder ends (it drains what PCM is left).
		 */
		warnx_("redis-pub died status=%d: publishing the stop alone",
		    rp);
		rp_argv[7] = "-s";
		if ((pid = start_kid(1, rp_argv, 0, null, 1)) > 0)
			reap(pid);
		kids[1] = 0;
	}
	/*
	 * The stage furthest down that failed caused it: when redis-pub
	 * dies, resample fails only by EPIPE; when resample dies, redis-pub
	 * sees end of input and finishes well.
	 */
	return rp != 0 ? rp : rs;
}
