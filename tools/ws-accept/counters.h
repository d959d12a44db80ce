/*
 * counters.h - the counters behind /metrics and /health.  Plain globals
 * touched only from the event loop (one thread), rendered on demand.
 */
#ifndef COUNTERS_H
#define COUNTERS_H

#include <stddef.h>

#include "protocol.h"

/* Connection results at the upgrade, the `result` label. */
enum conn_result {
	RES_ACCEPTED, RES_BAD_REQUEST, RES_UNAUTHORIZED, RES_FORBIDDEN,
	RES_NOT_FOUND, RES_BUSY, RES_DRAINING, RES_NRESULTS
};

#define AUTH_REASONS_MAX 32

/* How a call ended, the `reason` label of ws_accept_calls_ended_total. */
enum end_reason {
	END_NORMAL, END_HANDLER_FAILED, END_CALLER_DROPPED, END_IDLE,
	END_MAX_DURATION, END_MESSAGE_TOO_BIG, END_BINARY_REFUSED,
	END_SHUTDOWN, END_SERVER_ERROR, END_NREASONS
};

struct counters {
	double start;			/* seconds since the epoch */
	/* by the protocol label (protocol.h) and the result */
	unsigned long long conns[PROTOCOL_N][RES_NRESULTS];
	int active;			/* calls holding a handler or a caller */
	unsigned long long msgs_in[2], bytes_in[2];	/* [0] text, [1] binary */
	unsigned long long msgs_out, bytes_out;
	unsigned long long stalls;	/* a handler's stdin pipe was full */
	unsigned long long exits[256];	/* handler exit statuses, 128+n signals */
	unsigned long long closes_oversize, closes_idle, closes_maxcall;
	unsigned long long http_requests;
	unsigned long long lines_dropped;
	unsigned long long ended[END_NREASONS];	/* handler lines past max_msg */
	unsigned long long http_refused;	/* a bad request head (listen.c) */
	char auth_reason[AUTH_REASONS_MAX][48];
	unsigned long long auth_fail[AUTH_REASONS_MAX];
	int nreasons;
};

extern struct counters counters;

void counters_init(void);
/* Count an auth failure; why (borrowed) becomes a bounded label set. */
void counters_auth_failure(const char *why);
/* Prometheus text exposition into out (len bytes); returns the length. */
size_t counters_render(char *out, size_t len);

#endif
