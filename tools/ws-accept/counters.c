/*
 * counters.c - counters and their Prometheus text rendering.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "counters.h"
#include "intake.h"
#include "setting.h"
#include "redisprobe.h"
#include "server.h"
#include "tls.h"

struct counters counters;

static const char *result_name[RES_NRESULTS] = {
	"accepted", "bad_request", "unauthorized", "forbidden",
	"not_found", "busy", "draining"
};

void
counters_init(void)
{
	memset(&counters, 0, sizeof counters);
	counters.start = mono_s();
}

/*
 * The reason strings come from auth_check(): a short fixed phrase.  Keep
 * label values to [a-z0-9_] and at most AUTH_REASONS_MAX of them, so a
 * reason carrying data can never blow up the series count.
 */
void
counters_auth_failure(const char *why)
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
	for (r = 0; r < counters.nreasons; r++)
		if (!strcmp(counters.auth_reason[r], label))
			break;
	if (r == counters.nreasons) {
		if (r == AUTH_REASONS_MAX)
			r = AUTH_REASONS_MAX - 1;	/* the last slot is "other" */
		else
			counters.nreasons++;
		snprintf(counters.auth_reason[r], sizeof counters.auth_reason[r],
		    "%s", r == AUTH_REASONS_MAX - 1 ? "other" : label);
	}
	counters.auth_fail[r]++;
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

static const char *end_name[END_NREASONS] = {
	"normal", "handler_failed", "caller_dropped", "idle", "max_duration",
	"message_too_big", "binary_refused", "shutdown", "server_error"
};

size_t
counters_render(char *out, size_t len)
{
	size_t off = 0;
	int p, r, s;

	put(out, len, &off,
	    "# HELP ws_accept_connections_total WebSocket upgrades by detected protocol and result.\n"
	    "# TYPE ws_accept_connections_total counter\n");
	for (p = 0; p < PROTOCOL_N; p++)
		for (r = 0; r < RES_NRESULTS; r++)
			if (counters.conns[p][r] || r == RES_ACCEPTED)
				put(out, len, &off, "ws_accept_connections_total"
				    "{protocol=\"%s\",result=\"%s\"} %llu\n",
				    protocol_name((enum protocol)p), result_name[r],
				    counters.conns[p][r]);
	put(out, len, &off,
	    "# HELP ws_accept_active_calls Calls with a caller or a handler still present.\n"
	    "# TYPE ws_accept_active_calls gauge\n"
	    "ws_accept_active_calls %d\n", counters.active);
	put(out, len, &off,
	    "# HELP ws_accept_max_calls The configured MAX_CALLS.\n"
	    "# TYPE ws_accept_max_calls gauge\n"
	    "ws_accept_max_calls %d\n"
	    "# HELP ws_accept_full 1 while new calls are refused for capacity (/health 503).\n"
	    "# TYPE ws_accept_full gauge\n"
	    "ws_accept_full %d\n", srv.cfg.max_calls,
	    srv.ncalls >= srv.cfg.max_calls);
	if (redis_state() != REDIS_UNKNOWN)
		put(out, len, &off,
		    "# HELP ws_accept_redis_up 1 when REDIS_URL answered the last probe (/health 503 when 0).\n"
		    "# TYPE ws_accept_redis_up gauge\n"
		    "ws_accept_redis_up %d\n", redis_state() == REDIS_UP);
	put(out, len, &off,
	    "# HELP ws_accept_messages_received_total Complete messages received from callers.\n"
	    "# TYPE ws_accept_messages_received_total counter\n"
	    "ws_accept_messages_received_total{type=\"text\"} %llu\n"
	    "ws_accept_messages_received_total{type=\"binary\"} %llu\n",
	    counters.msgs_in[0], counters.msgs_in[1]);
	put(out, len, &off,
	    "# HELP ws_accept_bytes_received_total Payload bytes received from callers.\n"
	    "# TYPE ws_accept_bytes_received_total counter\n"
	    "ws_accept_bytes_received_total{type=\"text\"} %llu\n"
	    "ws_accept_bytes_received_total{type=\"binary\"} %llu\n",
	    counters.bytes_in[0], counters.bytes_in[1]);
	put(out, len, &off,
	    "# HELP ws_accept_messages_sent_total Text messages sent to callers.\n"
	    "# TYPE ws_accept_messages_sent_total counter\n"
	    "ws_accept_messages_sent_total %llu\n", counters.msgs_out);
	put(out, len, &off,
	    "# HELP ws_accept_auth_failures_total Upgrades refused by authentication, by reason.\n"
	    "# TYPE ws_accept_auth_failures_total counter\n");
	for (r = 0; r < counters.nreasons; r++)
		put(out, len, &off,
		    "ws_accept_auth_failures_total{reason=\"%s\"} %llu\n",
		    counters.auth_reason[r], counters.auth_fail[r]);
	put(out, len, &off,
	    "# HELP ws_accept_handler_exits_total Handler exits by status (128+n: signal n).\n"
	    "# TYPE ws_accept_handler_exits_total counter\n");
	for (s = 0; s < 256; s++)
		if (counters.exits[s])
			put(out, len, &off,
			    "ws_accept_handler_exits_total{status=\"%d\"} %llu\n",
			    s, counters.exits[s]);
	put(out, len, &off,
	    "# HELP ws_accept_backpressure_stalls_total Times a caller's socket was paused because its handler's stdin was full.\n"
	    "# TYPE ws_accept_backpressure_stalls_total counter\n"
	    "ws_accept_backpressure_stalls_total %llu\n", counters.stalls);
	put(out, len, &off,
	    "# HELP ws_accept_limit_closes_total Calls closed by a limit.\n"
	    "# TYPE ws_accept_limit_closes_total counter\n"
	    "ws_accept_limit_closes_total{limit=\"message_size\"} %llu\n"
	    "ws_accept_limit_closes_total{limit=\"idle\"} %llu\n"
	    "ws_accept_limit_closes_total{limit=\"max_duration\"} %llu\n",
	    counters.closes_oversize, counters.closes_idle,
	    counters.closes_maxcall);
	put(out, len, &off,
	    "# HELP ws_accept_handler_lines_dropped_total Handler stdout lines longer than max-message-bytes, dropped whole.\n"
	    "# TYPE ws_accept_handler_lines_dropped_total counter\n"
	    "ws_accept_handler_lines_dropped_total %llu\n", counters.lines_dropped);
	put(out, len, &off,
	    "# HELP ws_accept_http_requests_total Plain HTTP requests answered.\n"
	    "# TYPE ws_accept_http_requests_total counter\n"
	    "ws_accept_http_requests_total %llu\n", counters.http_requests);
	put(out, len, &off,
	    "# HELP ws_accept_calls_ended_total Calls ended, by how (handler_failed: its exit status is in ws_accept_handler_exits_total).\n"
	    "# TYPE ws_accept_calls_ended_total counter\n");
	for (r = 0; r < END_NREASONS; r++)
		put(out, len, &off, "ws_accept_calls_ended_total{reason=\"%s\"} "
		    "%llu\n", end_name[r], counters.ended[r]);
	put(out, len, &off,
	    "# HELP ws_accept_metrics_lines_refused_total METRICS_FD lines refused, by reason.\n"
	    "# TYPE ws_accept_metrics_lines_refused_total counter\n"
	    "ws_accept_metrics_lines_refused_total{reason=\"malformed\"} %llu\n"
	    "ws_accept_metrics_lines_refused_total{reason=\"series_cap\"} %llu\n",
	    intake_refused[0], intake_refused[1]);
	put(out, len, &off,
	    "# HELP ingest_build_info The version of this build.\n"
	    "# TYPE ingest_build_info gauge\n"
	    "ingest_build_info{version=\"%s\"} 1\n", ingest_version);
	put(out, len, &off,
	    "# HELP ws_accept_uptime_seconds Seconds since start.\n"
	    "# TYPE ws_accept_uptime_seconds gauge\n"
	    "ws_accept_uptime_seconds %.0f\n", mono_s() - counters.start);
	if (off < len)
		off += tls_metrics(out + off, len - off);
	intake_render(out, len, &off);
	return off;
}
