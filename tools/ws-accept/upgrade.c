/*
 * upgrade.c - the decision on each WebSocket upgrade, made while the
 * request headers still exist (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE): path,
 * draining, capacity, query, peer address, then authentication and
 * protocol detection (auth.h).  A refusal gets its HTTP status and one log
 * line saying why; an acceptance leaves a copy of what was learned in
 * srv.pending_hs for ESTABLISHED.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "callstate.h"
#include "http.h"
#include "logsafe.h"
#include "counters.h"
#include "msg.h"
#include "num.h"
#include "server.h"

static int
refuse(struct lws *wsi, const struct handshake *hs, enum protocol proto,
    enum conn_result res, unsigned status, const char *why)
{
	char path[256];

	counters.conns[proto][res]++;
	int fwd = hs->client[0] && strcmp(hs->client, hs->peer);

	/* Turning away a call the host could have taken is a warning. */
	(status == 503 ? warnx_ : info)("refused peer=%s:%d%s%s path=%s "
	    "protocol=%s status=%u reason=\"%s\"", hs->peer, hs->peer_port,
	    fwd ? " client=" : "",
	    fwd ? hs->client : "", logsafe(hs->path, path, sizeof path),
	    protocol_name(proto), status, why);
	if (http_error(wsi, status, why, status == 401 ? "www-authenticate:" :
	    status == 503 ? "retry-after:" : NULL,
	    status == 401 ? auth_challenge(srv.auth) : "5") < 0)
		return -1;
	return 1;
}

/* The numeric form of an address, into out. */
static void
addr_string(const struct sockaddr_storage *sa, char *out, size_t len, int *port)
{
	strcpy(out, "?");
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)len);
		*port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)len);
		*port = ntohs(in6->sin6_port);
	}
}

/*
 * The address the allow-list judges: the peer, or behind a trusted proxy
 * the client its X-Forwarded-For names (auth_client_address).  Fills
 * *client and hs->client; -1 on a malformed header from a trusted proxy.
 */
static int
client_of(struct lws *wsi, struct handshake *hs,
    const struct sockaddr_storage *sa, struct sockaddr_storage *client)
{
	char *xff = NULL;
	int n, r, port = 0;

	n = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (n > 0 && (xff = malloc((size_t)n + 1)) != NULL &&
	    lws_hdr_copy(wsi, xff, n + 1, WSI_TOKEN_X_FORWARDED_FOR) < 0) {
		free(xff);
		xff = NULL;
	}
	memset(client, 0, sizeof *client);
	r = auth_client_address(srv.auth, (const struct sockaddr *)sa, xff,
	    client);
	free(xff);
	if (r < 0)
		return -1;
	if (r == 1)
		addr_string(client, hs->client, sizeof hs->client, &port);
	else
		snprintf(hs->client, sizeof hs->client, "%s", hs->peer);
	return 0;
}

/* The peer's numeric address and port; sa receives the raw address. */
static void
peer_of(struct lws *wsi, struct handshake *hs, struct sockaddr_storage *sa)
{
	socklen_t sl = sizeof *sa;
	int fd = lws_get_socket_fd(wsi);

	memset(sa, 0, sizeof *sa);
	strcpy(hs->peer, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)sa, &sl) < 0)
		return;
	addr_string(sa, hs->peer, sizeof hs->peer, &hs->peer_port);
}

/*
 * The query string as lws gives it: each argument decoded, joined here
 * with '&'.  Returns -1 on a sample-rate that is not a rate.
 */
static int
query_of(struct lws *wsi, struct handshake *hs)
{
	char frag[512];
	size_t off = 0;
	long long rate;
	int i, n;

	hs->query[0] = '\0';
	for (i = 0; (n = lws_hdr_copy_fragment(wsi, frag, sizeof frag,
	    WSI_TOKEN_HTTP_URI_ARGS, i)) >= 0; i++) {
		if (off + (size_t)n + 2 < sizeof hs->query) {
			off += (size_t)snprintf(hs->query + off,
			    sizeof hs->query - off, "%s%s", i ? "&" : "", frag);
		}
		if (!strncmp(frag, "sample-rate=", 12) ||
		    !strncmp(frag, "sample_rate=", 12)) {
			if (parse_long(frag + 12, RATE_MIN, RATE_MAX, &rate) < 0)
				return -1;
			hs->sample_rate = (int)rate;
		}
	}
	return 0;
}

int
is_ingest_path(const char *path)
{
	size_t n = strlen(srv.cfg.path);

	/* "/v1/ingest/" is the same path (RFC 3986 does not say so; callers do). */
	return !strncmp(path, srv.cfg.path, n) && (path[n] == '\0' ||
	    (path[n] == '/' && path[n + 1] == '\0' && srv.cfg.path[n - 1] != '/'));
}

/*
 * MAX_CALLS_PER_IP and MAX_CALLS_PER_CREDENTIAL: one client address (the
 * one the allow-list judged) or one Basic key / JWT subject holds at most
 * that many calls, so one caller cannot take every slot.  Returns 0, or
 * 1 with the reason in why.
 */
static int
over_share(const struct handshake *hs, char *why, size_t len)
{
	const struct call *c;
	int ip = 0, cred = 0, byip = srv.cfg.max_per_ip,
	    bycred = srv.cfg.max_per_cred && strcmp(hs->auth.method, "ip");

	if (!byip && !bycred)
		return 0;
	for (c = srv.calls; c; c = c->next) {
		if (byip && !strcmp(c->hs.client, hs->client))
			ip++;
		if (bycred && !strcmp(c->hs.auth.method, hs->auth.method) &&
		    !strcmp(c->hs.auth.principal, hs->auth.principal))
			cred++;
	}
	if (byip && ip >= srv.cfg.max_per_ip) {
		snprintf(why, len, "at capacity for this address "
		    "max_calls_per_ip=%d", srv.cfg.max_per_ip);
		return 1;
	}
	if (bycred && cred >= srv.cfg.max_per_cred) {
		snprintf(why, len, "at capacity for this credential "
		    "max_calls_per_credential=%d", srv.cfg.max_per_cred);
		return 1;
	}
	return 0;
}

/*
 * An Upgrade header that is not WebSocket (h2c, ...): lws would close the
 * connection without an answer.
 */
int
upgrade_refuse_other(struct lws *wsi, const char *what)
{
	struct handshake hs;
	struct sockaddr_storage sa;
	char v[LOGSAFE_SIZE(32)], why[96];

	memset(&hs, 0, sizeof hs);
	peer_of(wsi, &hs, &sa);
	if (lws_hdr_copy(wsi, hs.path, sizeof hs.path, WSI_TOKEN_GET_URI) < 0)
		strcpy(hs.path, "?");
	snprintf(why, sizeof why, "unsupported upgrade %s",
	    logsafe(what, v, sizeof v));
	return refuse(wsi, &hs, PROTOCOL_UNKNOWN, RES_BAD_REQUEST, 400, why);
}

int
upgrade_check(struct lws *wsi)
{
	struct handshake hs;
	struct sockaddr_storage sa, client;
	enum protocol proto = PROTOCOL_UNKNOWN;
	char *authz = NULL, why[160];
	int n, st;

	memset(&hs, 0, sizeof hs);
	peer_of(wsi, &hs, &sa);
	if (lws_hdr_copy(wsi, hs.path, sizeof hs.path, WSI_TOKEN_GET_URI) < 0)
		strcpy(hs.path, "?");
	if (!is_ingest_path(hs.path))
		return refuse(wsi, &hs, proto, RES_NOT_FOUND, 404, "no such path");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) > 0)
		/* lws would bind it to a protocol or drop it without a word. */
		return refuse(wsi, &hs, proto, RES_BAD_REQUEST, 400,
		    "no subprotocol is offered (Sec-WebSocket-Protocol)");
	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 0) {
		if ((authz = malloc((size_t)n + 1)) == NULL ||
		    lws_hdr_copy(wsi, authz, n + 1,
		    WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
			free(authz);
			return -1;
		}
	}
	proto = protocol_claimed(authz);
	if (srv.draining) {
		st = refuse(wsi, &hs, proto, RES_DRAINING, 503, "draining");
		goto out;
	}
	if (srv.ncalls >= srv.cfg.max_calls) {
		snprintf(why, sizeof why, "at capacity max_calls=%d",
		    srv.cfg.max_calls);
		st = refuse(wsi, &hs, proto, RES_BUSY, 503, why);
		goto out;
	}
	if (query_of(wsi, &hs) < 0) {
		st = refuse(wsi, &hs, proto, RES_BAD_REQUEST, 400,
		    "bad sample-rate");
		goto out;
	}
	if (client_of(wsi, &hs, &sa, &client) < 0) {
		st = refuse(wsi, &hs, proto, RES_BAD_REQUEST, 400,
		    "bad X-Forwarded-For from a trusted proxy");
		goto out;
	}
	why[0] = '\0';
	st = auth_check(srv.auth, authz, (struct sockaddr *)&client, &hs.auth,
	    why, sizeof why);
	if (st != 0) {
		counters_auth_failure(auth_reason(why));
		st = refuse(wsi, &hs, proto, st == 403 ? RES_FORBIDDEN :
		    RES_UNAUTHORIZED, st == 403 ? 403 : 401,
		    why[0] ? why : "unauthorized");
		goto out;
	}
	proto = hs.auth.protocol;
	if ((st = over_share(&hs, why, sizeof why)) != 0) {
		st = refuse(wsi, &hs, proto, RES_BUSY, 503, why);
		goto out;
	}
	counters.conns[proto][RES_ACCEPTED]++;
	free(srv.pending_hs);	/* a stale one whose upgrade failed */
	if ((srv.pending_hs = malloc(sizeof hs)) == NULL) {
		st = -1;
		goto out;
	}
	*srv.pending_hs = hs;
	srv.pending_wsi = wsi;
	st = 0;
out:
	if (authz) {
		/* It holds a secret: do not leave it in freed memory. */
		explicit_bzero(authz, (size_t)n);
		free(authz);
	}
	return st;
}
