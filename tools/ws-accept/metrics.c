/*
 * metrics.c - counters and their Prometheus text rendering.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "metrics.h"
#include "tls.h"

struct metrics metrics;

static const char *result_name[RES_NRESULTS] = {
	"accepted", "bad_request", "unauthorized", "forbidden",
	"not_found", "busy", "draining"
};
static const char *proto_name[CP_NPROTOS] = { "unknown", "exotel", "native" };

void
metrics_init(void)
{
	memset(&metrics, 0, sizeof metrics);
	metrics.start = mono_s();
}

/*
 * The reason strings come from auth_check(): a short fixed phrase.  Keep
 * label values to [a-z0-9_] and at most AUTH_REASONS_MAX of them, so a
 * reason carrying data can never blow up the series count.
 */
void
metrics_auth_failure(const char *why)
{
	char label[48];
	size_t i, n = 0;
	int r;

	for (i = 0; why[i] && n < sizeof label - 1; i++) {
		char ch = why[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			label[n++] = ch;
		else if (n > 0 && label[n - 1] != '_')
			label[n++] = '_';
	}
	while (n > 0 && label[n - 1] == '_')
		n--;
	label[n] = '\0';
	if (n == 0)
		strcpy(label, "unknown");
	for (r = 0; r < metrics.nreasons; r++)
		if (!strcmp(metrics.auth_reason[r], label))
			break;
	if (r == metrics.nreasons) {
		if (r == AUTH_REASONS_MAX)
			r = AUTH_REASONS_MAX - 1;	/* the last slot is "other" */
		else
			metrics.nreasons++;
		snprintf(metrics.auth_reason[r], sizeof metrics.auth_reason[r],
		    "%s", r == AUTH_REASONS_MAX - 1 ? "other" : label);
	}
	metrics.auth_fail[r]++;
}

/* Appends to out at *off, never past len. */
static void
put(char *out, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(char *out, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

size_t
metrics_render(char *out, size_t len)
{
	size_t off = 0;
	int p, r, s;

	put(out, len, &off,
	    "# HELP ws_accept_connections_total WebSocket upgrades by detected protocol and result.\n"
	    "# TYPE ws_accept_connections_total counter\n");
	for (p = 0; p < CP_NPROTOS; p++)
		for (r = 0; r < RES_NRESULTS; r++)
			if (metrics.conns[p][r] || r == RES_ACCEPTED)
				put(out, len, &off, "ws_accept_connections_total"
				    "{protocol=\"%s\",result=\"%s\"} %llu\n",
				    proto_name[p], result_name[r],
				    metrics.conns[p][r]);
	put(out, len, &off,
	    "# HELP ws_accept_active_calls Calls with a caller or a handler still present.\n"
	    "# TYPE ws_accept_active_calls gauge\n"
	    "ws_accept_active_calls %d\n", metrics.active);
	put(out, len, &off,
	    "# HELP ws_accept_messages_received_total Complete messages received from callers.\n"
	    "# TYPE ws_accept_messages_received_total counter\n"
	    "ws_accept_messages_received_total{type=\"text\"} %llu\n"
	    "ws_accept_messages_received_total{type=\"binary\"} %llu\n",
	    metrics.msgs_in[0], metrics.msgs_in[1]);
	put(out, len, &off,
	    "# HELP ws_accept_bytes_received_total Payload bytes received from callers.\n"
	    "# TYPE ws_accept_bytes_received_total counter\n"
	    "ws_accept_bytes_received_total{type=\"text\"} %llu\n"
	    "ws_accept_bytes_received_total{type=\"binary\"} %llu\n",
	    metrics.bytes_in[0], metrics.bytes_in[1]);
	put(out, len, &off,
	    "# HELP ws_accept_messages_sent_total Text messages sent to callers.\n"
	    "# TYPE ws_accept_messages_sent_total counter\n"
	    "ws_accept_messages_sent_total %llu\n", metrics.msgs_out);
	put(out, len, &off,
	    "# HELP ws_accept_auth_failures_total Upgrades refused by authentication, by reason.\n"
	    "# TYPE ws_accept_auth_failures_total counter\n");
	for (r = 0; r < metrics.nreasons; r++)
		put(out, len, &off,
		    "ws_accept_auth_failures_total{reason=\"%s\"} %llu\n",
		    metrics.auth_reason[r], metrics.auth_fail[r]);
	put(out, len, &off,
	    "# HELP ws_accept_handler_exits_total Handler exits by status (128+n: signal n).\n"
	    "# TYPE ws_accept_handler_exits_total counter\n");
	for (s = 0; s < 256; s++)
		if (metrics.exits[s])
			put(out, len, &off,
			    "ws_accept_handler_exits_total{status=\"%d\"} %llu\n",
			    s, metrics.exits[s]);
	put(out, len, &off,
	    "# HELP ws_accept_backpressure_stalls_total Times a caller's socket was paused because its handler's stdin was full.\n"
	    "# TYPE ws_accept_backpressure_stalls_total counter\n"
	    "ws_accept_backpressure_stalls_total %llu\n", metrics.stalls);
	put(out, len, &off,
	    "# HELP ws_accept_limit_closes_total Calls closed by a limit.\n"
	    "# TYPE ws_accept_limit_closes_total counter\n"
	    "ws_accept_limit_closes_total{limit=\"message_size\"} %llu\n"
	    "ws_accept_limit_closes_total{limit=\"idle\"} %llu\n"
	    "ws_accept_limit_closes_total{limit=\"max_duration\"} %llu\n",
	    metrics.closes_oversize, metrics.closes_idle,
	    metrics.closes_maxcall);
	put(out, len, &off,
	    "# HELP ws_accept_http_requests_total Plain HTTP requests answered.\n"
	    "# TYPE ws_accept_http_requests_total counter\n"
	    "ws_accept_http_requests_total %llu\n", metrics.http_requests);
	put(out, len, &off,
	    "# HELP ws_accept_uptime_seconds Seconds since start.\n"
	    "# TYPE ws_accept_uptime_seconds gauge\n"
	    "ws_accept_uptime_seconds %.0f\n", mono_s() - metrics.start);
	if (off < len)
		off += tls_metrics(out + off, len - off);
	return off;
}
