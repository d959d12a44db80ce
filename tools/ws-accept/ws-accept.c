/*
 * ws-accept - inetd for WebSocket calls.
 *
 * Listens for WebSocket media streams (Exotel, Twilio, the platform's
 * own JWT protocol) and, for each accepted call, runs `prog args...` in
 * its own process group with the call's messages on its stdin (a text
 * message and "\n", binary messages raw), the call's context in its
 * environment, and each line of its stdout sent back as a text message.
 * Also answers /health, /metrics and the dynamic Exotel endpoint on the
 * same port.  Logs one line per accepted, refused and ended call on
 * stderr.  One libwebsockets event loop holds every connection, every
 * handler pipe and the signalfd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "callstate.h"
#include "config.h"
#include "evloop.h"
#include "listen.h"
#include "logsafe.h"
#include "counters.h"
#include "msg.h"
#include "num.h"
#include "redisprobe.h"
#include "server.h"
#include "tls.h"

struct server srv;

/* lws's own log lines, in our format. */
static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (evloop_log(level, line, n))
		return;
	/* lws 4.1.6 says this at error level on every adopted connection. */
	if ((level & LLL_ERR) && !strstr(line, "calling service"))
		warnx_("lws: %.*s", (int)n, line);
	else
		debug("lws: %.*s", (int)n, line);
}

/* Once a second: timeouts, drain deadlines, kills. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	double now = mono_s();

	(void)sul;
	if (srv.draining && !srv.ending && now >= srv.drain_end) {
		info("drain time over: ending calls=%d", srv.ncalls);
		srv.ending = 1;
	}
	call_tick_all(now);
	redisprobe_tick(now);
	if (srv.draining && srv.ncalls == 0) {
		srv.done = 1;
		lws_cancel_service(srv.ctx);
	}
	lws_sul_schedule(srv.ctx, 0, &srv.tick, tick, LWS_US_PER_SEC);
}

/*
 * Each call holds a socket and two pipes: raise the soft descriptor limit
 * to the hard one before lws sizes its tables from it.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * The vhost of everything that is not a caller's connection: handler
 * pipes, the signalfd, the listeners.  No connection from outside is ever
 * bound to it.
 */
static struct lws_vhost *
internal_vhost(struct lws_context *ctx)
{
	struct lws_context_creation_info vi;

	memset(&vi, 0, sizeof vi);
	vi.vhost_name = "internal";
	vi.port = CONTEXT_PORT_NO_LISTEN;
	vi.protocols = internal_protocols;
	return lws_create_vhost(ctx, &vi);
}

static void
notify_ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "\n", 1) != 1)
		warn_sys("unable to write readiness to fd %d", fd);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info ci;
	char err[256], desc[512], announce_buf[512];
	const char *announce = NULL;

	msg_init(argv[0]);
	counters_init();
	config_load(&srv.cfg, argc, argv);
	err[0] = '\0';
	if ((srv.auth = auth_config_new(err, sizeof err)) == NULL)
		fatal(EXIT_USAGE, "%s", err[0] ? err : "bad auth configuration");
	if (env_get("WS_ACCEPT_ANNOUNCE"))
		announce = logsafe_line(env_get("WS_ACCEPT_ANNOUNCE"),
		    announce_buf, sizeof announce_buf);
	tls_init(srv.cfg.cert, srv.cfg.key);
	if (srv.cfg.check_only) {
		/* What a start would say, without listening (bin/ingest -n). */
		if (auth_config_warning(srv.auth, desc, sizeof desc))
			warnx_("%s", desc);
		auth_config_describe(srv.auth, desc, sizeof desc);
		info("configuration ok host=%s port=%d path=%s tls=%s "
		    "max_calls=%d %s%s%s", srv.cfg.host, srv.cfg.port,
		    srv.cfg.path, srv.cfg.cert ? "on" : "off",
		    srv.cfg.max_calls, desc, announce ? " " : "",
		    announce ? announce : "");
		auth_config_free(srv.auth);
		return EXIT_OK;
	}
	if (redisprobe_init(srv.cfg.redis_url, err, sizeof err) < 0)
		warnx_("%s: /health will not watch Redis", err);
	raise_nofile();
	if (signals_block() < 0)
		fatal_sys(EXIT_SYSTEM, "unable to block signals");
	lws_set_log_level(msg_verbosity >= 2 ? LLL_ERR | LLL_WARN : LLL_ERR,
	    lws_log);

	/* Listen first: "address already in use" is one line, before lws says anything. */
	if ((srv.port = listen_open(srv.cfg.host, srv.cfg.port, err,
	    sizeof err)) < 0)
		fatal(EXIT_SYSTEM, "unable to listen on %s port %d: %s",
		    srv.cfg.host, srv.cfg.port, err);

	memset(&ci, 0, sizeof ci);
	/* The listeners are ours (listen.c); lws serves what they accept. */
	ci.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	ci.protocols = public_protocols;
	ci.timeout_secs = (unsigned)srv.cfg.handshake_s;
	/* lws gives a half-sent request its own 10 s unless told. */
	ci.timeout_secs_ah_idle = (unsigned)srv.cfg.handshake_s;
	ci.keepalive_timeout = 5;
	/* More than HTTPHEAD_MAX, which listen.c enforces with a 431. */
	ci.max_http_header_data = 16384;
	/* HTTP/1.1 only: WebSocket over h2 has no per-stream flow control here. */
	ci.alpn = "http/1.1";
	if (srv.cfg.cert)
		tls_context_info(&ci);
	if ((srv.ctx = evloop_context(&ci)) == NULL)
		fatal(EXIT_SYSTEM, "unable to start%s", srv.cfg.cert ?
		    " (or to load SSL_CERT_PATH/SSL_KEY_PATH)" : "");
	srv.vh = lws_get_vhost_by_name(srv.ctx, "default");
	if (srv.vh == NULL)
		fatal(EXIT_SYSTEM, "no default vhost");
	if ((srv.internal_vh = internal_vhost(srv.ctx)) == NULL)
		fatal(EXIT_SYSTEM, "unable to create the internal vhost");
	if (listen_adopt(srv.internal_vh) < 0)
		fatal(EXIT_SYSTEM, "unable to adopt the listeners");
	if (signals_setup() < 0)
		fatal_sys(EXIT_SYSTEM, "unable to set up signals");
	if (auth_config_warning(srv.auth, desc, sizeof desc))
		warnx_("%s", desc);
	auth_config_describe(srv.auth, desc, sizeof desc);
	/*
	 * WS_ACCEPT_ANNOUNCE: words a wrapper adds to this line (bin/ingest
	 * says where audio goes), so one line tells the whole start.
	 */
	info("listening host=%s port=%d path=%s tls=%s max_calls=%d %s%s%s",
	    srv.cfg.host, srv.port, srv.cfg.path,
	    srv.cfg.cert ? "on" : "off", srv.cfg.max_calls, desc,
	    announce ? " " : "", announce ? announce : "");
	lws_sul_schedule(srv.ctx, 0, &srv.tick, tick, LWS_US_PER_SEC);
	redisprobe_tick(mono_s());
	notify_ready(srv.cfg.notify_fd);

	evloop_run(srv.ctx);

	info("stopped");
	lws_sul_cancel(&srv.tick);
	lws_context_destroy(srv.ctx);
	evloop_free();
	auth_config_free(srv.auth);
	tls_free();
	redisprobe_free();
	free(srv.pending_hs);
	return srv.done ? EXIT_OK : EXIT_SYSTEM;
}
