/*
 * spawn.c - clean child spawning.  See spawn.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "spawn.h"

/* Restore default disposition of every signal and unblock all; for children. */
static void
signals_reset(void)
{
	sigset_t all;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);	/* EINVAL on the RT gaps is harmless */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* In the child, after fork: never returns. errpipe is close-on-exec. */
static void __attribute__((noreturn))
child(const struct spawn *sp, int errpipe)
{
	int tmp[SPAWN_MAXFD], i, e;
	char *const *env;

	if (sp->new_pgrp)
		setpgid(0, 0);
	signals_reset();
	/*
	 * Move sources out of the way first so that mapping a to b and b to
	 * c in one list works whatever the order.
	 */
	for (i = 0; i < sp->nfds; i++)
		if ((tmp[i] = fcntl(sp->fds[i].from, F_DUPFD_CLOEXEC, 64)) < 0)
			goto fail;
	for (i = 0; i < sp->nfds; i++)
		if (dup2(tmp[i], sp->fds[i].to) < 0)	/* clears CLOEXEC */
			goto fail;
	for (env = sp->setenv; env && *env; env++)
		if (putenv(*env) != 0)
			goto fail;
	execvp(sp->argv[0], sp->argv);
fail:
	e = errno;
	(void)!write(errpipe, &e, sizeof e);
	_exit(spawn_exec_status(e));
}

pid_t
spawn_child(const struct spawn *sp)
{
	int p[2], e;
	pid_t pid;
	ssize_t r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0)
		child(sp, p[1]);
	close(p[1]);
	/* Also set the group from the parent: no race with a quick kill(-pid). */
	if (sp->new_pgrp)
		setpgid(pid, pid);
	r = read_full(p[0], &e, sizeof e);
	close(p[0]);
	if (r == (ssize_t)sizeof e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}

int
spawn_exec_status(int err)
{
	return err == ENOENT ? 127 : 126;
}

int
wait_status_code(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 111;
}
