/*
 * signals.c - signals as events of the loop: SIGCHLD, SIGTERM, SIGINT and
 * SIGHUP (reload the certificate, tls.c) are blocked and read from a
 * signalfd adopted into the lws loop, so no handler runs asynchronously
 * and every child is reaped in the loop.
 * Children get an empty mask back from spawn_child().
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "callstate.h"
#include "counters.h"
#include "msg.h"
#include "server.h"
#include "tls.h"

static void
signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/*
 * Blocked from the start: a signal that comes while the context is being
 * built waits for the loop (a SIGHUP from a certificate renewal must
 * never kill a starting server).
 */
int
signals_block(void)
{
	sigset_t set;

	signal_set(&set);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

int
signals_setup(void)
{
	lws_sock_file_fd_type u;
	sigset_t set;
	int fd;

	signal_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -1;
	u.filefd = fd;
	if (lws_adopt_descriptor_vhost(srv.internal_vh, LWS_ADOPT_RAW_FILE_DESC, u,
	    LWSPROTO_SIGNAL, NULL) == NULL)
		return -1;
	return 0;
}

/* SIGTERM or SIGINT: the first starts the drain, a second ends the calls. */
static void
drain(int sig)
{
	double now = mono_s();

	if (!srv.draining) {
		srv.draining = 1;
		srv.drain_end = now + srv.cfg.drain_s;
		info("signal=%s draining calls=%d seconds=%d",
		    sig == SIGTERM ? "TERM" : "INT", srv.ncalls,
		    srv.cfg.drain_s);
	} else {
		srv.drain_end = now;
		info("signal=%s again: ending calls=%d now",
		    sig == SIGTERM ? "TERM" : "INT", srv.ncalls);
	}
	if (srv.drain_end <= now) {
		srv.ending = 1;
		call_tick_all(now);
	}
	if (srv.ncalls == 0)
		srv.done = 1;
}

int
signals_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t r;
	pid_t pid;
	int ws;

	for (;;) {
		r = read(fd, &si, sizeof si);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof si)
			return 0;
		if (si.ssi_signo == SIGCHLD) {
			while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
				if (!call_reaped(pid, ws))
					debug("reaped pid=%d not a handler",
					    (int)pid);
		} else if (si.ssi_signo == SIGHUP) {
			tls_reload();
		} else {
			drain((int)si.ssi_signo);
		}
	}
}
