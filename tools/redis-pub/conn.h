/*
 * conn.h - one non-blocking hiredis connection that comes back after
 * failures.  hiredis 0.14 never reconnects by itself, an errored context
 * must not be reused, and a blocking context stalls its caller for as
 * long as Redis does; so the context here is non-blocking, driven by the
 * caller's poll(), with our own deadlines for connect, login and replies,
 * and a fresh context after every failure, after a back-off of 50 ms
 * doubling to 2 s.
 *
 * States: DOWN (waiting to retry) -> CONNECTING (TCP/unix connect in
 * progress) -> HANDSHAKE (AUTH, SELECT, PING and, the first time and
 * after failures, CLUSTER SLOTS written, replies pending) -> READY
 * (commands may be appended).  Any failure -> DOWN.
 *
 * Redis Cluster: a MOVED reply sends the connection to the node it
 * names, at once.  A failure sends it to the next node known (cluster.h)
 * instead of back to the URL's: in a failover the node that died may be
 * the URL's.  An outage lasts from the first failure until the server is
 * back: READY for a single server, the first reply that is not an error
 * in a cluster (a live node may only redirect to the dead one).  One
 * warning per outage, one info line when it ends; the back-off grows
 * through the outage, redirects included, so a slot whose primary is
 * down costs a connection attempt every 0.5 s, not a busy loop.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <hiredis/hiredis.h>

#include "cluster.h"
#include "redisurl.h"

enum { CONN_DOWN, CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY };

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
/*
 * In a cluster, other nodes answer while one is down, and a replica takes
 * over within a second or two of cluster-node-timeout: ask more often.
 */
#define BACKOFF_CLUSTER_MAX_MS 500

struct conn {
	struct redis_url home;	/* the URL's server */
	struct redis_url at;	/* the server now: home, or a MOVED's */
	redisContext *c;	/* owned; NULL while DOWN */
	int state;
	int64_t deadline_ms;	/* DOWN: next attempt; else connect/login limit */
	int timeout_ms;		/* connect, login and reply limit */
	int backoff_ms;
	int hs_pending;		/* handshake replies still awaited */
	int ever_ready;
	int failures;		/* attempts failed in this outage; 0: none */
	int redirects;		/* MOVED followed in a row */
	int slots_pending;	/* the handshake's last reply answers CLUSTER SLOTS */
	int64_t down_since_ms;
	unsigned long connects;	/* times READY was reached */
	struct cluster cl;	/* the nodes known, when Redis is a cluster */
};

void conn_init(struct conn *cn, const struct redis_url *url, int timeout_ms,
    int64_t now_ms);

/*
 * More cluster nodes to try when the URL's does not answer: list
 * (borrowed) is REDIS_NODES, "host:port,host:port".  Returns 0, or -1 with
 * a static reason in *why.
 */
int conn_seeds(struct conn *cn, const char *list, const char **why);

/* Descriptor and poll events wanted now, or -1 when there is none. */
int conn_pollfd(const struct conn *cn, short *events);

/* When conn_tick() must run next (monotonic ms), or -1 for never. */
int64_t conn_deadline(const struct conn *cn);

/* Start an attempt when the back-off is over; fail one that took too long. */
void conn_tick(struct conn *cn, int64_t now_ms);

/*
 * Do the I/O poll() reported.  Returns 0, or -1 when the connection
 * failed (it is DOWN now and whatever was in flight is lost with it).
 */
int conn_io(struct conn *cn, short revents, int64_t now_ms);

/*
 * Append a command (argv borrowed, copied into hiredis's output buffer)
 * for the next conn_flush().  READY only.  Exits EXIT_SYSTEM when memory
 * runs out.
 */
void conn_append(struct conn *cn, int argc, const char **argv,
    const size_t *argvlen);

/*
 * How many commands may be in flight now: max, or one while an outage
 * lasts (in a cluster the node reached may only redirect, and the whole
 * backlog would come back as MOVED).
 */
int conn_window(const struct conn *cn, int max);

/* Flush what is buffered.  Returns 0 or -1 (DOWN now). */
int conn_flush(struct conn *cn, int64_t now_ms);

/*
 * Next reply to a command appended by the caller, already read from the
 * socket: 1 with *r set (the caller owns it: freeReplyObject), 0 when none
 * is ready, -1 when the connection failed (DOWN now).  Handshake replies
 * are consumed here.
 */
int conn_reply(struct conn *cn, redisReply **r, int64_t now_ms);

/*
 * A command's error reply err (borrowed) that may say the key lives on
 * another cluster node.  MOVED: the connection goes there, at once, or
 * after the back-off when that node failed a moment ago or the redirects
 * go round in a loop.  Returns 1 when err was one (the connection is
 * closed: the caller sends everything in flight again), 0 when not.
 */
int conn_cluster_error(struct conn *cn, const char *err, int64_t now_ms);

/* Drop the connection for reason (borrowed), e.g. a reply timed out. */
void conn_fail(struct conn *cn, const char *reason, int64_t now_ms);

/* Close for good (at exit). */
void conn_close(struct conn *cn);

#endif
