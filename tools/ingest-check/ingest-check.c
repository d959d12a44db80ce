/*
 * ingest-check - check the service's configuration with the tools' own
 * checks, warn about what would make it useless, then run a program.
 *
 *	ingest-check prog [arg ...]
 *
 * Refuses (exit 100, the message names the variable) a LOG_LEVEL or a
 * REDIS_URL no tool would take, and whatever the per-call pipeline's own
 * checks refuse: the handler's "-n" (INGEST_HANDLER, default ingest-call)
 * when it has one, else the "-n" of each of exotel-decode, resample and
 * redis-pub that has one (a tool has one when its --help, in the tools'
 * "usage: ..." form, lists -n).  No
 * tool's validation is copied here.  Warns, without refusing, when
 * REDIS_URL names a Redis that does not answer, and when no caller could
 * be accepted at all (Exotel off and no JWT key).  Then executes prog.
 * Writes nothing on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "io.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "spawnchild.h"
#include "redisurl.h"

#define USAGE "ingest-check prog [arg ...]"
#define HELP \
	"  (no options: settings come from the environment; see ingest-check(1))\n"

/* The per-call tools checked when the handler has no -n of its own. */
static const char *const pipeline[] = { "exotel-decode", "resample",
    "redis-pub" };

/*
 * Run argv with stdin from /dev/null; its stdout into out (size n,
 * NUL-terminated; NULL: to /dev/null); stderr inherited, or to /dev/null
 * when out is given (a probe).  Returns its exit status in the tools'
 * table.
 */
static int
run(char *const argv[], char *out, size_t n)
{
	int p[2] = { -1, -1 }, null, ws, st;
	struct spawn sp = { .argv = argv, .nfds = out ? 3 : 2 };
	char *setenv_list[] = { "SAMPLE_RATE=8000", NULL };
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "/dev/null");
	if (out && pipe2(p, O_CLOEXEC) < 0)
		fatal_sys(EXIT_SYSTEM, "pipe");
	sp.fds[0] = (struct spawn_fd){ null, 0 };
	sp.fds[1] = (struct spawn_fd){ out ? p[1] : null, 1 };
	sp.fds[2] = (struct spawn_fd){ null, 2 };
	/* The per-call rate is set at each call: check as for a phone call. */
	if (getenv("SAMPLE_RATE") == NULL)
		sp.setenv = setenv_list;
	pid = spawn_child(&sp);
	st = pid < 0 ? spawn_exec_status(errno) : -1;
	close(null);
	if (out) {
		close(p[1]);
		while (pid > 0 && got + 1 < n &&
		    (r = read_retry(p[0], out + got, n - 1 - got)) > 0)
			got += (size_t)r;
		out[got] = '\0';
		close(p[0]);
	}
	if (pid < 0)
		return st;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "waitpid");
	return wait_status_code(ws);
}

/* 1 when tool's --help lists a -n option. */
static int
has_check(const char *tool)
{
	char out[8192], *argv[] = { (char *)tool, "--help", NULL }, *l;
	int st = run(argv, out, sizeof out);

	if (st == EXIT_NOTFOUND || st == EXIT_NOEXEC)
		fatal(st, "%s: %s (run make, or make install)", tool,
		    st == EXIT_NOTFOUND ? "not found in PATH" : "cannot run");
	/* One of ours: std_options' "usage: name ..." (GNU's is "Usage:"). */
	if (st != 0 || strncmp(out, "usage: ", 7) != 0)
		return 0;
	for (l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, "-n", 2) == 0 && (l[2] == ' ' || l[2] == '\t' ||
		    l[2] == '\n' || l[2] == ','))
			return 1;
	}
	return 0;
}

/* Run tool -n; exits with its status when it refuses the configuration. */
static int
check_tool(const char *tool)
{
	char *argv[] = { (char *)tool, "-n", NULL };
	int st;

	if (!has_check(tool)) {
		debug("%s has no -n: its settings are checked at each call", tool);
		return 0;
	}
	if ((st = run(argv, NULL, 0)) != 0)
		fatal(st, "%s -n refused the configuration (status %d)", tool, st);
	debug("%s -n: ok", tool);
	return 1;
}

/* The URL for a log line: scheme://host..., never the password. */
static const char *
public_url(const char *u, char *buf, size_t n)
{
	const char *scheme = strstr(u, "://"), *at;

	if (scheme && (at = strchr(scheme + 3, '@')) != NULL)
		snprintf(buf, n, "%.*s%s", (int)(scheme + 3 - u), u, at + 1);
	else
		snprintf(buf, n, "%s", u);
	return buf;
}

/* REDIS_URL: refused when no tool could use it, warned when unreachable. */
static void
check_redis(void)
{
	const char *u = env_get("REDIS_URL"), *why;
	char pub[1024], announce[1100];
	struct redis_url ru;
	struct timeval tv = { 1, 0 };
	redisContext *c;
	redisReply *r;

	if (u == NULL)
		return;		/* ingest-redis starts a private one */
	public_url(u, pub, sizeof pub);
	if (url_parse(u, &ru, &why) < 0)
		fatal(EXIT_USAGE, "REDIS_URL: %s, not: %s", why, pub);
	if (getenv("WS_ACCEPT_ANNOUNCE") == NULL) {
		snprintf(announce, sizeof announce, "redis=%s", pub);
		setenv("WS_ACCEPT_ANNOUNCE", announce, 1);
	}
	c = ru.is_unix ? redisConnectUnixWithTimeout(ru.path, tv) :
	    redisConnectWithTimeout(ru.host, ru.port, tv);
	if (c == NULL || c->err) {
		warnx_("REDIS_URL: no Redis answers at %s: %s: every call "
		    "will fail until one does", url_where(&ru),
		    c ? c->errstr : "out of memory");
		redisFree(c);
		return;
	}
	redisSetTimeout(c, tv);
	/* Any reply, even -NOAUTH, is a Redis answering. */
	if ((r = redisCommand(c, "PING")) == NULL)
		warnx_("REDIS_URL: no Redis answers at %s: %s: every call will "
		    "fail until one does", url_where(&ru), c->errstr);
	else
		debug("REDIS_URL: redis answers at %s", url_where(&ru));
	freeReplyObject(r);
	redisFree(c);
}

static void
check_log_level(void)
{
	static const char *const ok[] = { "quiet", "warning", "info", "debug",
	    "0", "1", "2" };
	const char *v = env_get("LOG_LEVEL");
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(v, ok[i]) == 0)
			return;
	fatal(EXIT_USAGE, "LOG_LEVEL: expected quiet, info or debug, not: %s", v);
}

/* Nobody could call: Exotel off (or unset) and no JWT key. */
static void
check_callers(void)
{
	int exotel = bool_parse(env_get("SUPPORT_EXOTEL") ?
	    env_get("SUPPORT_EXOTEL") : "false");

	if (exotel == 0 && env_get("JWT_SECRET") == NULL &&
	    env_get("JWT_PUBLIC_KEY") == NULL)
		warnx_("no caller can be accepted: SUPPORT_EXOTEL is off and "
		    "neither JWT_SECRET nor JWT_PUBLIC_KEY is set");
}

int
main(int argc, char **argv)
{
	const char *handler;
	size_t i;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 2 || argv[1][0] == '-')
		usage_exit(USAGE);
	check_log_level();
	check_redis();
	handler = setting_str(NULL, "INGEST_HANDLER", "ingest-call");
	if (!check_tool(handler))
		for (i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++)
			check_tool(pipeline[i]);
	check_callers();
	execvp(argv[1], argv + 1);
	fatal_sys(spawn_exec_status(errno), "cannot run %s", argv[1]);
}
