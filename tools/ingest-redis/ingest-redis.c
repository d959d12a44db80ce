/*
 * ingest-redis - run a program with a private Redis, or with the one
 * REDIS_URL names.
 *
 *	ingest-redis [-n] [-s state-dir] prog [arg ...]
 *
 * With REDIS_URL set, prog is executed in place (same pid: a supervisor's
 * signals reach it directly).  Unset: starts redis-server on a unix socket
 * only (state-dir/redis/redis.sock, no TCP port, nothing saved), exports
 * REDIS_URL=unix://... for prog, runs prog as its child and stays as a
 * small supervisor until prog ends, then stops the Redis.  Both children
 * lead their own process groups, so a terminal's Ctrl-C reaches this
 * process alone: SIGINT, SIGTERM and SIGQUIT become ONE SIGTERM to prog
 * each (ws-accept: the first drains the calls, a second ends them), SIGHUP
 * is passed on as SIGHUP (ws-accept reloads its certificate).  Every child
 * exit is read from a signalfd and reaped with waitpid(-1): none is lost,
 * whatever signal arrives meanwhile.  Both children get SIGTERM as their
 * parent-death signal, so killing this process leaves nothing running.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "spawnchild.h"

#define USAGE "ingest-redis [-n] [-s state-dir] prog [arg ...]"
#define HELP \
	"  -n            check only: export the private Redis's REDIS_URL and run\n" \
	"                prog without starting Redis or creating anything\n" \
	"  -s state-dir  directory of the private Redis (default\n" \
	"                INGEST_STATE_DIR, else ./run)\n"

/* Seconds redis-server gets to answer PING, and to stop on SIGTERM. */
#define START_S 10
#define STOP_S 10

static struct {
	char dir[PATH_MAX];	/* state-dir/redis */
	char sock[sizeof ((struct sockaddr_un *)0)->sun_path];
	char log[PATH_MAX + 16];
	int sigfd;
	pid_t redis, prog;
	const char *name;	/* prog's base name, for the log */
} s;

/* Descriptors >= 3 we inherited: prog's (readiness), never Redis's. */
static int passfd[SPAWN_MAXFD - 1], npass;

/* Mark every inherited descriptor >= 3 close-on-exec, remembering them. */
static void
hold_inherited(void)
{
	int fd, fl, max = (int)sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 4096)
		max = 4096;
	for (fd = 3; fd < max; fd++) {
		if ((fl = fcntl(fd, F_GETFD)) < 0 || (fl & FD_CLOEXEC))
			continue;
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		if (npass < (int)(sizeof passfd / sizeof passfd[0]))
			passfd[npass++] = fd;
		else
			warnx_("descriptor %d not passed on (more than %d)",
			    fd, npass);
	}
}

/* 1 when a program named name is found in PATH. */
static int
in_path(const char *name)
{
	char path[PATH_MAX];

	return spawn_find(name, path, sizeof path) != NULL;
}

/* 1 when something answers +PONG on our socket. */
static int
redis_answers(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[16];
	struct pollfd p;
	int fd, ok = 0;

	memcpy(a.sun_path, s.sock, sizeof s.sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    write_all(fd, "PING\r\n", 6) == 0) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 1000) == 1 && read(fd, buf, sizeof buf) >= 5)
			ok = memcmp(buf, "+PONG", 5) == 0 ||
			    memcmp(buf, "-NOAUTH", 7) == 0;
	}
	close(fd);
	return ok;
}

/* mkdir -p path (modified and restored in place). */
static void
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			fatal_sys(EXIT_SYSTEM, "cannot create %s", path);
		*p = c;
		if (c == '\0')
			break;
	}
}

/* The last lines of the private Redis's log, as info lines. */
static void
log_tail(void)
{
	char line[512], *lines[5] = { 0 };
	FILE *f = fopen(s.log, "r");
	int i = 0, k;

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f)) {
		free(lines[i % 5]);
		line[strcspn(line, "\n")] = '\0';
		lines[i++ % 5] = strdup(line);
	}
	fclose(f);
	for (k = i > 5 ? i - 5 : 0; k < i; k++) {
		info("redis.log: %s", lines[k % 5] ? lines[k % 5] : "");
		free(lines[k % 5]);
	}
}

/*
 * Wait up to ms milliseconds for the next signal; returns its number, or
 * 0 on timeout.
 */
static int
next_signal(int ms)
{
	struct signalfd_siginfo si;
	struct pollfd p = { .fd = s.sigfd, .events = POLLIN };
	int r;

	for (;;) {
		r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fatal_sys(EXIT_SYSTEM, "poll");
		if (r == 0)
			return 0;
		if (read(s.sigfd, &si, sizeof si) == (ssize_t)sizeof si)
			return (int)si.ssi_signo;
	}
}

/*
 * Reap every child that has ended (no exit is lost: SIGCHLD only says
 * "look").  Sets *redis_st / *prog_st (wait_status_code) for the ones
 * that ended.
 */
static void
reap(int *redis_st, int *prog_st)
{
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (pid == s.redis) {
			*redis_st = wait_status_code(ws);
			s.redis = 0;
		} else if (pid == s.prog) {
			*prog_st = wait_status_code(ws);
			s.prog = 0;
		}
	}
}

static void
stop_redis(void)
{
	double end;
	int rst = -1, pst = -1;
	pid_t pid = s.redis;

	if (pid == 0)
		return;
	kill(pid, SIGTERM);
	end = mono_s() + STOP_S;
	while (s.redis != 0 && mono_s() < end) {
		next_signal(100);
		reap(&rst, &pst);
	}
	if (s.redis != 0) {
		warnx_("redis-server pid=%d did not stop in %d s: SIGKILL",
		    (int)pid, STOP_S);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		s.redis = 0;
	}
	info("redis-server pid=%d stopped", (int)pid);
}

/* prog's name now (after its own execs: "ws-accept", not "sh"). */
static const char *
prog_name(void)
{
	static char comm[32];
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)s.prog);
	if (s.prog > 0 && (f = fopen(path, "r")) != NULL) {
		if (fgets(comm, sizeof comm, f) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
			s.name = comm;
		}
		fclose(f);
	}
	return s.name;
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGTERM: return "TERM";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGHUP: return "HUP";
	default: return "?";
	}
}

/* Start redis-server and wait until it answers.  Exits on failure. */
static void
start_redis(int devnull)
{
	char *argv[32];
	int i = 0, sig, rst = -1, pst = -1;
	double end;
	struct spawn sp = { .argv = argv, .new_pgrp = 1,
	    .fds = { { devnull, 0 } }, .nfds = 1 };

	if (!in_path("redis-server"))
		fatal(EXIT_NOTFOUND, "redis-server: not found (make deps, or "
		    "set REDIS_URL)");
	if (in_path("setpriv")) {
		argv[i++] = "setpriv";
		argv[i++] = "--pdeathsig";
		argv[i++] = "TERM";
	}
	argv[i++] = "redis-server";
	argv[i++] = "--port";
	argv[i++] = "0";
	argv[i++] = "--unixsocket";
	argv[i++] = s.sock;
	argv[i++] = "--unixsocketperm";
	argv[i++] = "700";
	argv[i++] = "--dir";
	argv[i++] = s.dir;
	argv[i++] = "--save";
	argv[i++] = "";
	argv[i++] = "--appendonly";
	argv[i++] = "no";
	argv[i++] = "--daemonize";
	argv[i++] = "no";
	argv[i++] = "--logfile";
	argv[i++] = s.log;
	argv[i] = NULL;
	if ((s.redis = spawn_child(&sp)) < 0)
		fatal_sys(spawn_exec_status(errno), "cannot run redis-server");
	end = mono_s() + START_S;
	while (!redis_answers()) {
		sig = next_signal(50);
		if (sig == SIGCHLD)
			reap(&rst, &pst);
		if (s.redis == 0) {
			log_tail();
			fatal(EXIT_SYSTEM, "redis-server exited status=%d before "
			    "answering (log: %s)", rst, s.log);
		}
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
			info("signal=%s while redis-server starts: stopping",
			    signame(sig));
			stop_redis();
			exit(EXIT_OK);
		}
		if (mono_s() > end) {
			stop_redis();
			log_tail();
			fatal(EXIT_SYSTEM, "redis-server did not answer in %d s "
			    "(log: %s)", START_S, s.log);
		}
	}
}

/* Set s.dir, s.sock, s.log from the state directory; exits if too long. */
static void
paths(const char *state)
{
	char cwd[PATH_MAX];
	int n;

	while (state[0] == '.' && state[1] == '/')
		state += 2;
	if (state[0] == '/')
		cwd[0] = '\0';
	else if (getcwd(cwd, sizeof cwd) == NULL)
		fatal_sys(EXIT_SYSTEM, "getcwd");
	if (strlen(cwd) + strlen(state) + 8 >= sizeof s.dir)
		fatal(EXIT_USAGE, "INGEST_STATE_DIR: path too long: %s", state);
	strcpy(s.dir, cwd);
	strcat(s.dir, "/");
	strcat(s.dir, state);
	strcat(s.dir, "/redis");
	/* "dir/" and "dir//" name dir: no "//" in what we log. */
	for (char *p; (p = strstr(s.dir, "//")) != NULL; )
		memmove(p, p + 1, strlen(p));
	n = snprintf(s.sock, sizeof s.sock, "%s/redis.sock", s.dir);
	/* sun_path holds 108 bytes; keep a margin, and say so plainly. */
	if (n < 0 || n > 100)
		fatal(EXIT_USAGE, "INGEST_STATE_DIR: path too long for a unix "
		    "socket: %s/redis.sock", s.dir);
	snprintf(s.log, sizeof s.log, "%s/redis.log", s.dir);
}

int
main(int argc, char **argv)
{
	const char *state = NULL;
	char url[sizeof s.sock + 16], announce[sizeof url + 32];
	int c, check = 0, sig, devnull, i, rst = -1, pst = -1, stopping = 0,
	    failed = 0;
	sigset_t set;
	struct spawn sp = { .new_pgrp = 1 };

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	while ((c = getopt(argc, argv, "+ns:")) != -1) {
		switch (c) {
		case 'n':
			check = 1;
			break;
		case 's':
			state = optarg;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_exit(USAGE);
	s.name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (env_get("REDIS_URL") != NULL) {
		execvp(argv[0], argv);
		fatal_sys(spawn_exec_status(errno), "cannot run %s", argv[0]);
	}
	paths(setting_str(state, "INGEST_STATE_DIR", "./run"));
	snprintf(url, sizeof url, "unix://%s", s.sock);
	snprintf(announce, sizeof announce, "redis=%s private=yes", url);
	if (setenv("REDIS_URL", url, 1) < 0 ||
	    setenv("WS_ACCEPT_ANNOUNCE", announce, 1) < 0)
		fatal_sys(EXIT_SYSTEM, "setenv");
	if (check) {
		info("redis=%s private=yes dir=%s (-n: not started)", url, s.dir);
		execvp(argv[0], argv);
		fatal_sys(spawn_exec_status(errno), "cannot run %s", argv[0]);
	}

	mkdirs(s.dir);
	/* The default ./run sits in the checkout: keep it out of git status. */
	if (state == NULL && env_get("INGEST_STATE_DIR") == NULL &&
	    access("run/.gitignore", F_OK) < 0) {
		FILE *g = fopen("run/.gitignore", "w");

		if (g != NULL) {
			fputs("*\n", g);
			fclose(g);
		}
	}
	/* A live Redis on our socket is another ingest on this directory. */
	if (redis_answers())
		fatal(EXIT_SYSTEM, "another ingest uses %s (redis answers on "
		    "%s); stop it or set INGEST_STATE_DIR", s.dir, s.sock);

	/*
	 * Started with SIGINT ignored (a script's background job, nohup)?  A
	 * blocked but ignored signal never reaches the signalfd: take them back.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (s.sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "signalfd");
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "/dev/null");
	hold_inherited();

	start_redis(devnull);
	info("redis-server pid=%d socket=%s log=%s", (int)s.redis, s.sock,
	    s.log);


	/*
	 * prog: its own process group (the terminal's Ctrl-C reaches us
	 * alone, and we send one SIGTERM), stdin /dev/null (a background
	 * group must not read the terminal), our inherited descriptors.
	 */
	{
		char *pargv[argc + 4];
		int k = 0;

		if (in_path("setpriv")) {
			pargv[k++] = "setpriv";
			pargv[k++] = "--pdeathsig";
			pargv[k++] = "TERM";
		}
		for (i = 0; i < argc; i++)
			pargv[k++] = argv[i];
		pargv[k] = NULL;
		sp.argv = pargv;
		sp.fds[sp.nfds++] = (struct spawn_fd){ devnull, 0 };
		for (i = 0; i < npass; i++)
			sp.fds[sp.nfds++] = (struct spawn_fd){ passfd[i], passfd[i] };
		if ((s.prog = spawn_child(&sp)) < 0) {
			int e = errno;

			stop_redis();
			errno = e;
			fatal_sys(spawn_exec_status(e), "cannot run %s", argv[0]);
		}
	}
	/* The readiness descriptor is prog's now. */
	for (i = 0; i < npass; i++)
		close(passfd[i]);
	close(devnull);

	while (s.prog != 0) {
		sig = next_signal(-1);
		switch (sig) {
		case SIGCHLD:
			prog_name();	/* readable until reaped */
			reap(&rst, &pst);
			if (s.redis == 0 && !failed && s.prog != 0) {
				warnx_("redis-server exited status=%d (log: %s): "
				    "stopping %s pid=%d", rst, s.log, prog_name(),
				    (int)s.prog);
				failed = stopping = 1;
				kill(s.prog, SIGTERM);
			}
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			stopping = 1;
			info("signal=%s: SIGTERM to %s pid=%d", signame(sig),
			    prog_name(), (int)s.prog);
			kill(s.prog, SIGTERM);
			break;
		case SIGHUP:
			info("signal=HUP: passed to %s pid=%d", prog_name(),
			    (int)s.prog);
			kill(s.prog, SIGHUP);
			break;
		}
	}
	if (failed)
		;
	else if (stopping || pst == 0)
		info("%s exited status=%d", s.name, pst);
	else
		warnx_("%s exited status=%d: stopping redis-server", s.name, pst);
	stop_redis();
	return failed ? EXIT_SYSTEM : pst;
}
