/*
 * callbacks.c - the lws protocol callbacks, one switch per kind of descriptor:
 * the listening port (HTTP and WebSocket), the handlers' pipes, and the
 * signalfd.  Each routes to
 * call.c, feed.c, upgrade.c or http.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callstate.h"
#include "counters.h"
#include "listen.h"
#include "msg.h"
#include "server.h"
#include "tls.h"

/* Per-session data of the port's connections; allocated (zeroed) by lws. */
struct pss {
	struct call *call;	/* borrowed from srv.calls; NULL before ESTABLISHED */
	char post_uri[64];	/* a POST waiting for its body */
};

static int
cb_port(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *pss = user;
	struct call *c;
	const unsigned char *p = in;
	char cl[24];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 &&
		    lws_hdr_copy(wsi, cl, sizeof cl,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && strcmp(cl, "0")) {
			/* Answer once the body is in, or lws reads it as a request. */
			snprintf(pss->post_uri, sizeof pss->post_uri, "%s",
			    (const char *)in);
			return 0;
		}
		return http_serve(wsi, in,
		    lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0);
	case LWS_CALLBACK_HTTP_BODY:
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		return tls_vhost_ctx(user);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return http_serve(wsi, pss->post_uri, 1);
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		/* RFC 6455: the token is case-insensitive. */
		if (strcasecmp(in, "websocket"))
			return upgrade_refuse_other(wsi, in);
		return upgrade_check(wsi);
	case LWS_CALLBACK_ESTABLISHED:
		if (srv.pending_wsi != wsi || srv.pending_hs == NULL)
			return -1;
		c = call_new(srv.pending_hs);
		free(srv.pending_hs);
		srv.pending_hs = NULL;
		srv.pending_wsi = NULL;
		if (c == NULL)
			return -1;
		pss->call = c;
		handler_start(c, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (pss->call)
			call_receive(pss->call, in, len,
			    lws_is_final_fragment(wsi) &&
			    lws_remaining_packet_payload(wsi) == 0,
			    lws_frame_is_binary(wsi));
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->call ? call_ws_writeable(pss->call) : 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* A close frame without a code is 1005, not a dropped line. */
		if (pss->call)
			pss->call->peer_code = len >= 2 ? p[0] << 8 | p[1] :
			    1005;
		return 0;
	case LWS_CALLBACK_CLOSED:
		if ((c = pss->call) != NULL) {
			pss->call = NULL;
			call_ws_closed(c);
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int
cb_pipe(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct call *c = lws_get_opaque_user_data(wsi);

	(void)user, (void)in, (void)len;
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (wsi == c->out_wsi)
			return call_stdout_readable(c);
		/*
		 * The write end of the handler's stdin is never readable:
		 * this is the pipe's error condition, its reader is gone.
		 * Close it now: on epoll the condition stays raised, and
		 * waiting for a write to fail would spin the loop
		 * (evloop.c) until the call ends.
		 */
		if (wsi == c->in_wsi) {
			debug("call=%s handler closed its stdin", c->id);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (wsi == c->in_wsi)
			return call_stdin_writeable(c);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == c->in_wsi)
			call_stdin_closed(c);
		else if (wsi == c->out_wsi)
			call_stdout_closed(c);
		return 0;
	default:
		return 0;
	}
}

static int
cb_signal(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)user, (void)in, (void)len;
	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		signals_read(lws_get_socket_fd(wsi));
	if (srv.done)
		lws_cancel_service(srv.ctx);
	return 0;
}

const struct lws_protocols public_protocols[] = {
	{ LWSPROTO_PUBLIC, cb_port, sizeof(struct pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

struct lws *
internal_adopt(int fd, const char *protocol, void *opaque)
{
	lws_adopt_desc_t ad;

	memset(&ad, 0, sizeof ad);
	ad.vh = srv.internal_vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = fd;
	ad.vh_prot_name = protocol;
	ad.opaque = opaque;
	return lws_adopt_descriptor_vhost_via_info(&ad);
}

const struct lws_protocols internal_protocols[] = {
	{ LWSPROTO_PIPE, cb_pipe, 0, 0, 0, NULL, 0 },
	{ LWSPROTO_SIGNAL, cb_signal, 0, 0, 0, NULL, 0 },
	{ LWSPROTO_LISTEN, listen_callback, 0, 0, 0, NULL, 0 },
	{ LWSPROTO_PREHEAD, prehead_callback, 0, 0, 0, NULL, 0 },
	{ LWSPROTO_METRICS, mfeed_callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};
