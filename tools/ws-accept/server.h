/*
 * server.h - the one process-wide state of ws-accept, shared by its files.
 * Everything here is touched only from the libwebsockets event loop.
 */
#ifndef SERVER_H
#define SERVER_H

#include <libwebsockets.h>

#include "auth.h"
#include "config.h"

struct handshake;

struct call;

struct server {
	struct config cfg;
	struct lws_context *ctx;
	struct lws_vhost *vh;		/* callers: HTTP and WebSocket only */
	struct lws_vhost *internal_vh;	/* pipes, signals, listeners */
	int port;			/* the port listened on */
	struct auth_config *auth;	/* owned */
	struct call *calls;		/* every live call, a doubly linked list */
	int ncalls;
	int draining;			/* SIGTERM/SIGINT seen: refuse new calls */
	int ending;			/* drain time is over: end every call */
	double drain_end;		/* when draining turns into ending */
	int done;			/* leave the loop */
	lws_sorted_usec_list_t tick;	/* once a second: timeouts */
	/*
	 * An upgrade accepted by upgrade_check() and not yet established:
	 * lws reallocates the per-session data on upgrade, so what the
	 * handshake taught us waits here (owned) until ESTABLISHED, which
	 * follows in the same service turn.
	 */
	struct lws *pending_wsi;
	struct handshake *pending_hs;
};

extern struct server srv;

/*
 * The protocols of the internal vhost's descriptors (callbacks.c).  They
 * live on a vhost no caller's connection is ever bound to, so nothing a
 * client sends (Sec-WebSocket-Protocol: ws-accept-pipe) can reach them.
 */
#define LWSPROTO_PIPE "ws-accept-pipe"
#define LWSPROTO_SIGNAL "ws-accept-signal"
#define LWSPROTO_LISTEN "ws-accept-listen"
#define LWSPROTO_PREHEAD "ws-accept-prehead"
#define LWSPROTO_METRICS "ws-accept-metrics"
/* The one protocol of the callers' vhost. */
#define LWSPROTO_PUBLIC "ws-accept"

/* callbacks.c */
extern const struct lws_protocols public_protocols[];
extern const struct lws_protocols internal_protocols[];
/*
 * Adopt fd into the loop on the internal vhost under protocol (one of the
 * LWSPROTO_ names above), with opaque (borrowed) as its user data.  From
 * the call on lws owns fd: on failure (NULL) it has closed it.
 */
struct lws *internal_adopt(int fd, const char *protocol, void *opaque);
/* signals.c: block the signals (at start), then adopt a signalfd into the loop. */
int signals_block(void);
int signals_setup(void);
int signals_read(int fd);
/* upgrade.c: decide a WebSocket upgrade; see there. */
int upgrade_check(struct lws *wsi);
/* An Upgrade that is not "websocket" (in, borrowed): 400 and a log line. */
int upgrade_refuse_other(struct lws *wsi, const char *in);
/* Is path the WebSocket path (INGEST_PATH, with or without a last '/')? */
int is_ingest_path(const char *path);
/* http.c: answer a plain HTTP request; -1 to close the connection. */
int http_serve(struct lws *wsi, const char *uri, int post);

#endif
