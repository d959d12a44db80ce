/*
 * spawnchild.c - clean child spawning.  See spawnchild.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawnchild.h"

extern char **environ;

/*
 * environ with set (borrowed, NULL-ended) applied: "NAME=value" replaces
 * NAME's entry or is added; a bare "NAME" removes it (as glibc's putenv
 * does, which the fork path used).  The array is owned by the caller
 * (free()); its strings are borrowed.  NULL when out of memory.
 */
static char **
with_env(char *const *set)
{
	size_t n = 0, k = 0, i, j, len;
	int bare;
	char **env;

	while (environ[n])
		n++;
	while (set && set[k])
		k++;
	if ((env = malloc((n + k + 1) * sizeof *env)) == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof *env);
	for (j = 0; j < k; j++) {
		len = strcspn(set[j], "=");
		bare = set[j][len] == '\0';
		for (i = 0; i < n; i++)
			if (strncmp(env[i], set[j], len) == 0 &&
			    env[i][len] == '=')
				break;
		if (bare) {
			if (i < n)		/* removed: the last takes its place */
				env[i] = env[--n];
			continue;
		}
		env[i] = set[j];
		if (i == n)
			n++;
	}
	env[n] = NULL;
	return env;
}

const char *
spawn_find(const char *name, char *buf, size_t size)
{
	const char *p = getenv("PATH"), *e;

	if (strchr(name, '/'))
		return name;
	if (p == NULL)
		p = "/usr/local/bin:/bin:/usr/bin";
	for (;; p = e + 1) {
		e = strchrnul(p, ':');
		/* An empty entry is the current directory (execvp's rule). */
		if ((e == p ? snprintf(buf, size, "%s", name) :
		    snprintf(buf, size, "%.*s/%s", (int)(e - p), p, name)) <
		    (int)size && access(buf, X_OK) == 0)
			return buf;
		if (*e == '\0')
			return NULL;
	}
}

/* A script without "#!" (argv[0]) run by /bin/sh, as execvp did. */
static int
spawn_sh(pid_t *pid, char *const *argv, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at, char *const *env)
{
	char path[4096], **shv;
	size_t n = 0;
	int e;

	while (argv[n])
		n++;
	if ((shv = malloc((n + 2) * sizeof *shv)) == NULL)
		return ENOMEM;
	shv[0] = "sh";
	if ((shv[1] = (char *)spawn_find(argv[0], path, sizeof path)) == NULL) {
		free(shv);
		return ENOEXEC;
	}
	memcpy(shv + 2, argv + 1, n * sizeof *shv);	/* with its NULL */
	e = posix_spawn(pid, "/bin/sh", fa, at, shv, env);
	free(shv);
	return e;
}

/*
 * posix_spawn, not fork: glibc starts the child with CLONE_VM|CLONE_VFORK,
 * so the parent's page tables are not copied (ws-accept holding hundreds
 * of calls forked in ~1 ms; a call's set-up is several such starts), and
 * an exec failure comes back as its return value.
 */
pid_t
spawn_child(const struct spawn *sp)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int tmp[SPAWN_MAXFD], i, e = 0;
	char **env = NULL;
	pid_t pid = -1;

	for (i = 0; i < sp->nfds; i++)
		tmp[i] = -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	/*
	 * The sources are copied out of the way first (close-on-exec, in
	 * the parent), so that mapping a to b and b to c in one list works
	 * whatever the order; dup2 clears close-on-exec on the targets.
	 */
	for (i = 0; i < sp->nfds && e == 0; i++) {
		if ((tmp[i] = fcntl(sp->fds[i].from, F_DUPFD_CLOEXEC, 64)) < 0)
			e = errno;
		else
			e = posix_spawn_file_actions_adddup2(&fa, tmp[i],
			    sp->fds[i].to);
	}
	sigfillset(&all);
	sigemptyset(&none);
	if (e == 0)
		e = posix_spawnattr_setsigdefault(&at, &all);
	if (e == 0)
		e = posix_spawnattr_setsigmask(&at, &none);
	if (e == 0)
		e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF |
		    POSIX_SPAWN_SETSIGMASK |
		    (sp->new_pgrp ? POSIX_SPAWN_SETPGROUP : 0));
	if (e == 0 && sp->new_pgrp)
		e = posix_spawnattr_setpgroup(&at, 0);
	if (e == 0 && sp->setenv && (env = with_env(sp->setenv)) == NULL)
		e = errno ? errno : ENOMEM;
	if (e == 0)
		e = posix_spawnp(&pid, sp->argv[0], &fa, &at, sp->argv,
		    env ? env : environ);
	if (e == ENOEXEC)
		e = spawn_sh(&pid, sp->argv, &fa, &at, env ? env : environ);
	free(env);
	for (i = 0; i < sp->nfds; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
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
