/*
 * redisprobe.h - is the Redis of REDIS_URL reachable?  ws-accept does not
 * talk to Redis (its handlers do), but a host whose calls cannot reach
 * Redis should not be sent calls: /health says 503 and /metrics
 * ws_accept_redis_up 0 while it is down.
 *
 * How: every REDIS_PROBE_S seconds, from the loop's once-a-second tick, a
 * non-blocking connect, "PING\r\n", and a look for the reply; each step
 * is a poll() with a zero timeout, so the loop never waits.  Any reply
 * (+PONG, or -NOAUTH from a server wanting a password) means up; a refused
 * or timed-out connection means down.  rediss:// is judged by the TCP
 * connection alone.  The address is resolved once, at start.
 */
#ifndef REDISPROBE_H
#define REDISPROBE_H

/* How often a probe starts, and how long it may take, seconds. */
#define REDIS_PROBE_S 2

enum redis_state { REDIS_UNKNOWN = -1, REDIS_DOWN = 0, REDIS_UP = 1 };

/*
 * Parse url (borrowed; redis://[user:pass@]host[:port][/db], rediss://,
 * unix:///path, unix:/path) and resolve it.  NULL url: nothing to probe
 * (redis_state() stays REDIS_UNKNOWN).  Returns -1 with a reason in err on
 * a URL that cannot be probed (then the state stays unknown).
 */
int redisprobe_init(const char *url, char *err, size_t errlen);

/* Move the probe on; call once a second with the monotonic time. */
void redisprobe_tick(double now);

/* The last verdict; REDIS_UNKNOWN before the first, or without a URL. */
enum redis_state redis_state(void);

void redisprobe_free(void);

#endif
