/*
 * chain.c - the chained child.  See chain.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "io.h"
#include "msg.h"
#include "spawnchild.h"

#define CHAIN_MAXCUSTOM 32	/* CUSTOM_* variables; Exotel allows 3 */
#define CHAIN_MAXENV (11 + CHAIN_MAXCUSTOM + 1)

/* "NAME=value" in a new string (owned by the caller). */
static char *
var(const char *name, const char *value)
{
	char *s;

	if (asprintf(&s, "%s=%s", name, value) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to allocate the environment");
	return s;
}

static char *
varjv(const char *name, jv v)
{
	return var(name, jv_string_value(v));
}

/* CUSTOM_<NAME>: uppercased, anything but letters and digits as '_'. */
static char *
customvar(const char *key, jv v)
{
	char name[80], *s;
	jv text;
	size_t i;

	snprintf(name, sizeof name, "CUSTOM_%.64s", key);
	for (i = 7; name[i]; i++)
		name[i] = isalnum((unsigned char)name[i]) ?
		    (char)toupper((unsigned char)name[i]) : '_';
	if (jv_get_kind(v) == JV_KIND_STRING)
		text = jv_copy(v);
	else
		text = jv_dump_string(jv_copy(v), 0);
	s = var(name, jv_string_value(text));
	jv_free(text);
	return s;
}

/* env[] (filled, NULL-ended) holds owned strings. */
static void
build_env(char **env, const struct call *c, int track, int codec,
    unsigned samplerate)
{
	char rate[16];
	jv params;
	int n = 0, k;

	snprintf(rate, sizeof rate, "%u", samplerate);
	env[n++] = varjv("INTERACTION_ID", c->interaction_id);
	env[n++] = varjv("TENANT_ID", c->tenant_id);
	env[n++] = varjv("STREAM_SID", c->stream_sid);
	env[n++] = varjv("CALL_SID", c->call_sid);
	env[n++] = var("SAMPLE_RATE", rate);
	env[n++] = var("ENCODING", codec_names[codec]);
	env[n++] = var("TRACK", track_names[track]);
	env[n++] = varjv("CALL_FROM", c->from);
	env[n++] = varjv("CALL_TO", c->to);
	params = jv_dump_string(jv_copy(c->custom), 0);
	env[n++] = varjv("CUSTOM_PARAMETERS", params);
	jv_free(params);
	k = 0;
	jv_object_foreach(c->custom, key, value) {
		if (k++ < CHAIN_MAXCUSTOM)
			env[n++] = customvar(jv_string_value(key), value);
		jv_free(key);
		jv_free(value);
	}
	if (k > CHAIN_MAXCUSTOM)
		warnx_("custom-parameters count=%d (only %d in the "
		    "environment)", k, CHAIN_MAXCUSTOM);
	env[n] = NULL;
}

int
chain_start(struct chain *ch, char *const *argv, const struct call *c,
    int track, int codec, unsigned rate, int ev_to, const char *start_line,
    size_t n)
{
	char *env[CHAIN_MAXENV];
	int pcm[2], ev[2] = { -1, -1 }, i, e;
	/*
	 * Same process group as ours: ws-accept ends a call by signalling
	 * the group it made for us, and that must reach the child too.
	 */
	struct spawn sp = { .argv = argv, .setenv = env, .new_pgrp = 0 };

	ch->pid = -1;
	ch->pcm = ch->ev = -1;
	if (pipe2(pcm, O_CLOEXEC) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to create a pipe");
	sp.fds[sp.nfds++] = (struct spawn_fd){ pcm[0], 0 };
	if (ev_to >= 0) {
		if (pipe2(ev, O_CLOEXEC) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to create a pipe");
		/*
		 * Never waited on, even now: the line is at most PIPE_BUF
		 * bytes and the pipe empty, so it goes in whole at once.
		 */
		if (fd_nonblock(ev[1], 1) < 0 ||
		    write_all(ev[1], start_line, n) < 0)
			fatal_sys(EXIT_SYSTEM,
			    "unable to write the start event");
		sp.fds[sp.nfds++] = (struct spawn_fd){ ev[0], ev_to };
	}
	build_env(env, c, track, codec, rate);
	ch->pid = spawn_child(&sp);
	e = errno;
	for (i = 0; env[i]; i++)
		free(env[i]);
	close(pcm[0]);
	if (ev[0] >= 0)
		close(ev[0]);
	if (ch->pid < 0) {
		close(pcm[1]);
		if (ev[1] >= 0)
			close(ev[1]);
		errno = e;
		fatal_sys(spawn_exec_status(e), "unable to run %s", argv[0]);
	}
	ch->pcm = pcm[1];
	ch->ev = ev[1];
	info("child pid=%ld track=%s prog=%s", (long)ch->pid,
	    track_names[track], argv[0]);
	return 0;
}

void
chain_close(struct chain *ch)
{
	if (ch->pcm >= 0)
		close(ch->pcm);
	if (ch->ev >= 0)
		close(ch->ev);
	ch->pcm = ch->ev = -1;
}

int
chain_wait(struct chain *ch)
{
	int ws;

	chain_close(ch);
	while (waitpid(ch->pid, &ws, 0) < 0)
		if (errno != EINTR)
			fatal_sys(EXIT_SYSTEM, "unable to wait for pid %ld",
			    (long)ch->pid);
	return wait_status_code(ws);
}
