/*
 * http.c - the plain HTTP side of the port: GET /health (JSON), GET
 * /metrics (Prometheus text), GET|POST /api/ingest/exotel-endpoint
 * ({"url": PUBLIC_URL}, 503 when it is not configured), 404 elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "counters.h"
#include "msg.h"
#include "redisprobe.h"
#include "server.h"

#define ENDPOINT "/api/ingest/exotel-endpoint"

int
http_reply(struct lws *wsi, unsigned status, const char *ctype,
    const char *hname, const char *hvalue, const char *body, size_t len)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof hdr - 1;
	unsigned char *out;
	int r;

	if (lws_add_http_header_status(wsi, status, &p, end))
		return -1;
	/*
	 * lws 4.1.6 takes the version from the request, which it has not
	 * recorded yet when an upgrade is refused: it says HTTP/1.0, and
	 * strict WebSocket clients then cannot read the status at all.
	 */
	if (p - start > 8 && memcmp(start, "HTTP/1.0", 8) == 0)
		start[7] = '1';
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)ctype, (int)strlen(ctype), &p, end) ||
	    (hname && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hvalue,
	    (int)strlen(hvalue), &p, end)) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_add_http_header_content_length(wsi, len, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	/* lws_write wants LWS_PRE bytes of room before the payload. */
	if ((out = malloc(LWS_PRE + len + 1)) == NULL)
		return -1;
	memcpy(out + LWS_PRE, body, len);
	r = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return r < (int)len ? -1 : 0;
}

/* A JSON body {"key":"value"} (both borrowed), value escaped. */
static int
json_reply(struct lws *wsi, unsigned status, const char *key,
    const char *value, const char *hname, const char *hvalue)
{
	struct buf b = { 0 };
	int r;

	buf_adds(&b, "{\"");
	buf_adds(&b, key);
	buf_adds(&b, "\":\"");
	buf_add_json(&b, value);
	buf_adds(&b, "\"}\n");
	r = http_reply(wsi, status, "application/json", hname, hvalue, b.p,
	    b.len);
	buf_free(&b);
	return r;
}

int
http_error(struct lws *wsi, unsigned status, const char *msg,
    const char *hname, const char *hvalue)
{
	return json_reply(wsi, status, "error", msg, hname, hvalue);
}

/*
 * /health: 200 "ok" only when a call would be taken and could reach
 * Redis; else 503 with why ("draining", "full", "redis_down"), so a load
 * balancer stops sending calls to this host.
 */
static int
health(struct lws *wsi)
{
	enum redis_state rs = redis_state();
	const char *status = srv.draining ? "draining" :
	    srv.ncalls >= srv.cfg.max_calls ? "full" :
	    rs == REDIS_DOWN ? "redis_down" : "ok";
	char body[320];
	int n;

	n = snprintf(body, sizeof body, "{\"status\":\"%s\",\"active_calls\":%d,"
	    "\"max_calls\":%d,\"redis\":\"%s\",\"uptime_seconds\":%.0f}\n",
	    status, srv.ncalls, srv.cfg.max_calls, rs == REDIS_UP ? "up" :
	    rs == REDIS_DOWN ? "down" : "unknown", mono_s() - counters.start);
	return http_reply(wsi, strcmp(status, "ok") ? 503 : 200,
	    "application/json", NULL, NULL, body, (size_t)n);
}

static int
prometheus(struct lws *wsi)
{
	size_t cap = 512 * 1024, n;	/* room for INTAKE_SERIES_MAX series */
	char *body;
	int r;

	if ((body = malloc(cap)) == NULL)
		return http_error(wsi, 500, "out of memory", NULL, NULL);
	n = counters_render(body, cap);
	r = http_reply(wsi, 200, "text/plain; version=0.0.4; charset=utf-8",
	    NULL, NULL, body, n);
	free(body);
	return r;
}

static int
endpoint(struct lws *wsi)
{
	if (srv.cfg.public_url == NULL)
		return http_error(wsi, 503, "PUBLIC_URL is not configured",
		    NULL, NULL);
	return json_reply(wsi, 200, "url", srv.cfg.public_url, NULL, NULL);
}

int
http_serve(struct lws *wsi, const char *uri, int post)
{
	int r;

	counters.http_requests++;
	if (!strcmp(uri, ENDPOINT))
		r = endpoint(wsi);
	else if (post && (!strcmp(uri, "/health") || !strcmp(uri, "/metrics")))
		r = http_error(wsi, 405, "method not allowed", "allow:", "GET");
	else if (!strcmp(uri, "/health"))
		r = health(wsi);
	else if (!strcmp(uri, "/metrics"))
		r = prometheus(wsi);
	else if (is_ingest_path(uri))
		r = http_error(wsi, 426, "WebSocket upgrade required",
		    "upgrade:", "websocket");
	else
		r = http_error(wsi, 404, "not found", NULL, NULL);
	if (r < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}
