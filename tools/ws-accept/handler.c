/*
 * handler.c - starting a call's handler: its environment (ws-accept(1),
 * ENVIRONMENT), its own process group, and its stdin and stdout pipes
 * adopted into the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "callstate.h"
#include "counters.h"
#include "logsafe.h"
#include "msg.h"
#include "server.h"
#include "intake.h"
#include "io.h"
#include "spawnchild.h"

/* The environment a handler gets (ws-accept(1), ENVIRONMENT). */
static int
handler_env(struct call *c, char **env, size_t max)
{
	const struct handshake *h = &c->hs;
	size_t n = 0;

#define ADD(...) do {							\
		if (n + 1 >= max || asprintf(&env[n], __VA_ARGS__) < 0)	\
			goto fail;					\
		n++;							\
	} while (0)
	ADD("CALL_ID=%s", c->id);
	ADD("PROTOCOL=%s", protocol_name(h->auth.protocol));
	ADD("REMOTE_ADDR=%s", h->peer);
	ADD("REMOTE_PORT=%d", h->peer_port);
	ADD("CLIENT_ADDR=%s", h->client);
	ADD("REQUEST_PATH=%s", h->path);
	ADD("QUERY_STRING=%s", h->query);
	/* A name without '=' removes the variable (glibc putenv). */
	if (h->sample_rate)
		ADD("SAMPLE_RATE=%d", h->sample_rate);
	else if (protocol_info(h->auth.protocol)->default_rate)
		ADD("SAMPLE_RATE=%d",
		    protocol_info(h->auth.protocol)->default_rate);
	else
		ADD("SAMPLE_RATE");
	ADD("AUTH_METHOD=%s", h->auth.method);
	ADD("AUTH_PRINCIPAL=%s", h->auth.principal);
	if (h->auth.tenant[0])
		ADD("TENANT_ID=%s", h->auth.tenant);
	else
		ADD("TENANT_ID");
	if (h->auth.claims[0])
		ADD("JWT_CLAIMS=%s", h->auth.claims);
	else
		ADD("JWT_CLAIMS");
	ADD("METRICS_FD=%d", INTAKE_FD);
	/* Our -m, so a handler that answers (exotel-encode) fits its messages. */
	ADD("MAX_MESSAGE_BYTES=%ld", srv.cfg.max_msg);
	/* Handlers never need the server's secrets. */
	ADD("JWT_SECRET");
	ADD("EXOTEL_BASIC_AUTH");
#undef ADD
	env[n] = NULL;
	return 0;
fail:
	while (n > 0)
		free(env[--n]);
	env[0] = NULL;
	return -1;
}

static void
start_failed(struct call *c, int status, const char *why)
{
	c->status = status;
	counters.exits[status & 255]++;
	call_close(c, 1011, why, 1);
}

void
handler_start(struct call *c, struct lws *ws)
{
	struct spawn sp;
	char *env[24], *e, p1[128], p2[128];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, mfd = -1, i;
	pid_t pid;

	c->ws = ws;
	c->t_start = c->t_last_media = mono_s();
	info("call=%s accepted peer=%s:%d%s%s protocol=%s auth=%s principal=%s%s%s",
	    c->id, c->hs.peer, c->hs.peer_port,
	    strcmp(c->hs.client, c->hs.peer) ? " client=" : "",
	    strcmp(c->hs.client, c->hs.peer) ? c->hs.client : "",
	    protocol_name(c->hs.auth.protocol),
	    c->hs.auth.method, logsafe(c->hs.auth.principal, p1, sizeof p1),
	    c->hs.auth.tenant[0] ? " tenant=" : "", c->hs.auth.tenant[0] ?
	    logsafe(c->hs.auth.tenant, p2, sizeof p2) : "");
	if (handler_env(c, env, sizeof env / sizeof env[0]) < 0) {
		warnx_("call=%s out of memory for the handler environment",
		    c->id);
		start_failed(c, EXIT_SYSTEM, "server out of memory");
		return;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		warn_sys("call=%s unable to create pipes", c->id);
		start_failed(c, EXIT_SYSTEM, "server out of descriptors");
		goto out;
	}
	memset(&sp, 0, sizeof sp);
	sp.argv = srv.cfg.argv;
	sp.fds[0].from = in[0];
	sp.fds[0].to = 0;
	sp.fds[1].from = out[1];
	sp.fds[1].to = 1;
	sp.nfds = 2;
	/* METRICS_FD (lib/metrics.h); a call runs without it if need be. */
	if ((mfd = mfeed_open(c)) >= 0) {
		sp.fds[2].from = mfd;
		sp.fds[2].to = INTAKE_FD;
		sp.nfds = 3;
	} else
		warn_sys("call=%s no METRICS_FD pipe", c->id);
	sp.setenv = env;
	sp.new_pgrp = 1;
	pid = spawn_child(&sp);
	if (pid < 0) {
		int st = errno == ENOENT || errno == EACCES || errno == ENOEXEC ?
		    spawn_exec_status(errno) : EXIT_SYSTEM;

		warn_sys("call=%s unable to run %s status=%d", c->id,
		    srv.cfg.argv[0], st);
		start_failed(c, st, "handler could not run");
		goto out;
	}
	c->pid = pid;
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	fd_nonblock(in[1], 1);
	fd_nonblock(out[0], 1);
	c->in_fd = in[1];
	/* On failure lws closes the descriptor itself. */
	c->in_wsi = internal_adopt(in[1], LWSPROTO_PIPE, c);
	in[1] = -1;
	c->out_wsi = internal_adopt(out[0], LWSPROTO_PIPE, c);
	out[0] = -1;
	if (c->in_wsi == NULL || c->out_wsi == NULL) {
		warnx_("call=%s unable to adopt the handler's pipes", c->id);
		c->in_fd = -1;
		close_stdin(c);
		if (c->out_wsi)
			kill_wsi(c->out_wsi), c->out_closing = 1;
		kill(-pid, SIGKILL);
		call_close(c, 1011, "server failure", 1);
	}
	debug("call=%s handler pid=%d", c->id, (int)pid);
out:
	if (mfd >= 0)
		close(mfd);
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	for (i = 0; (e = env[i]) != NULL; i++)
		free(e);
}
