/*
 * spawnchild.h - start a child cleanly (STYLE.md rule 6): its own process group,
 * SIGPIPE and every other signal back to default, an empty signal mask,
 * chosen descriptors at chosen numbers, context in the environment, and
 * exec failures reported to the parent rather than lost in the child.
 */
#ifndef SPAWNCHILD_H
#define SPAWNCHILD_H

#include <stddef.h>
#include <sys/types.h>

#define SPAWN_MAXFD 4

struct spawn_fd {
	int from;	/* descriptor in the parent */
	int to;		/* number it gets in the child */
};

struct spawn {
	char *const *argv;		/* borrowed; argv[0] searched in PATH */
	struct spawn_fd fds[SPAWN_MAXFD];
	int nfds;
	char *const *setenv;		/* borrowed "NAME=value" (set) or "NAME" (removed) list, NULL-ended; may be NULL */
	int new_pgrp;			/* 1: the child leads its own process group */
};

/*
 * Start the child with posix_spawnp (a vfork-like clone: the parent's page
 * tables are not copied, which made starts from a large ws-accept slow);
 * a script without "#!" runs with /bin/sh, as execvp did.  In setenv, a
 * "NAME=value" entry sets NAME and a bare "NAME" removes it.  Every signal
 * the program can use starts at its default (glibc leaves its own two
 * internal ones, 32 and 33, ignored; its programs reset them themselves).
 * Every descriptor not listed in fds keeps its own
 * close-on-exec flag (the caller makes its pipes O_CLOEXEC so one child
 * never holds another's pipe).  Returns the pid, or -1 with errno set to
 * the exec (or fork) failure; the failed child has already been reaped.
 */
pid_t spawn_child(const struct spawn *sp);

/*
 * The file execvp would run for name: name itself when it holds a '/',
 * else the first executable PATH entry/name, in buf (size bytes).  NULL
 * when there is none.
 */
const char *spawn_find(const char *name, char *buf, size_t size);

/* Exit status of the tools for an exec errno: 127 for ENOENT, else 126. */
int spawn_exec_status(int err);

/* Map a waitpid() status to the shared table: exit code, or 128+signal. */
int wait_status_code(int wstatus);

#endif
