/*
 * conn.c - a non-blocking Redis connection that comes back.  See conn.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "conn.h"
#include "msg.h"

/* Redirects in a row past which MOVED is taken for a loop (slots move rarely). */
#define MAX_REDIRECTS 8

/* A node that failed this recently is not where a MOVED should send us. */
#define DEAD_MS 1000

void
conn_init(struct conn *cn, const struct redis_url *url, int timeout_ms,
    int64_t now_ms)
{
	memset(cn, 0, sizeof *cn);
	cn->home = cn->at = *url;
	cn->state = CONN_DOWN;
	cn->deadline_ms = now_ms;	/* first attempt at once */
	cn->timeout_ms = timeout_ms;
	cn->backoff_ms = BACKOFF_MIN_MS;
	cn->down_since_ms = now_ms;
	cluster_init(&cn->cl);
	if (!url->is_unix)
		cluster_node(&cn->cl, url->host, url->port);
}

int
conn_seeds(struct conn *cn, const char *list, const char **why)
{
	if (cn->home.is_unix) {
		*why = "REDIS_NODES needs a redis:// REDIS_URL";
		return -1;
	}
	return cluster_seeds(&cn->cl, list, why);
}

void
conn_close(struct conn *cn)
{
	if (cn->c != NULL)
		redisFree(cn->c);
	cn->c = NULL;
	cn->state = CONN_DOWN;
}

void
conn_fail(struct conn *cn, const char *reason, int64_t now_ms)
{
	/*
	 * One warning per outage; the retries of the same outage go to the
	 * debug level, and the reconnect line says how long it lasted.
	 */
	if (cn->failures == 0) {
		warnx_("redis %s: %s addr=%s", cn->state == CONN_READY ?
		    "connection lost" : "unable to connect", reason,
		    url_where(&cn->at));
		cn->down_since_ms = now_ms;
	} else
		debug("redis attempt failed: %s addr=%s attempt=%d", reason,
		    url_where(&cn->at), cn->failures + 1);
	cn->failures++;
	conn_close(cn);
	if (!cn->at.is_unix)
		cluster_failed(&cn->cl, cn->at.host, cn->at.port, now_ms);
	/*
	 * A node we were sent to may be gone (failover), and so may the
	 * URL's: ask the next node known, which redirects to the slot's
	 * primary of the moment.  With one node known, that is the URL's.
	 */
	if (cn->at.is_unix || cn->cl.n < 2)
		cn->at = cn->home;
	else
		cluster_next(&cn->cl, &cn->at, now_ms);
	cn->cl.want_slots = 1;
	cn->deadline_ms = now_ms + cn->backoff_ms;
	cn->backoff_ms *= 2;
	if (cn->backoff_ms > BACKOFF_MAX_MS)
		cn->backoff_ms = BACKOFF_MAX_MS;
	if (cn->cl.state == CLUSTER_YES && cn->backoff_ms > BACKOFF_CLUSTER_MAX_MS)
		cn->backoff_ms = BACKOFF_CLUSTER_MAX_MS;
}

/* Connect to host (borrowed; empty: the same host) and port at once. */
static void
redirect(struct conn *cn, const char *host, int port, int64_t now_ms)
{
	if (*host)
		snprintf(cn->at.host, sizeof cn->at.host, "%s", host);
	cn->at.port = port;
	cn->at.is_unix = 0;
	cn->at.db = 0;		/* a cluster has database 0 only */
	/* In an outage the line that ends it says where we are. */
	if (cn->failures == 0)
		info("redis redirected (MOVED) addr=%s", url_where(&cn->at));
	else
		debug("redis redirected (MOVED) addr=%s", url_where(&cn->at));
	conn_close(cn);
	cn->deadline_ms = now_ms;
}

int
conn_cluster_error(struct conn *cn, const char *err, int64_t now_ms)
{
	char host[256], reason[300];
	int port;

	if (cluster_moved(err, host, sizeof host, &port) < 0)
		return 0;
	cn->cl.state = CLUSTER_YES;
	if (!*host)
		snprintf(host, sizeof host, "%s", cn->at.host);
	cluster_node(&cn->cl, host, port);
	/*
	 * While a primary is down and not yet replaced, live nodes still
	 * name it: wait out the back-off on another node and ask again.
	 */
	if (cluster_recently_failed(&cn->cl, host, port, now_ms, DEAD_MS)) {
		snprintf(reason, sizeof reason, "%s (down)", err);
		conn_fail(cn, reason, now_ms);
	} else if (cn->redirects >= MAX_REDIRECTS) {
		snprintf(reason, sizeof reason, "%s (%d redirects in a row)",
		    err, cn->redirects);
		conn_fail(cn, reason, now_ms);
	} else {
		cn->redirects++;
		redirect(cn, host, port, now_ms);
	}
	return 1;
}

/* Fail with the context's own error string (c->errstr, not errno). */
static int
fail_ctx(struct conn *cn, int64_t now_ms)
{
	char reason[160];

	snprintf(reason, sizeof reason, "%s", cn->c && cn->c->errstr[0] ?
	    cn->c->errstr : "unknown error");
	conn_fail(cn, reason, now_ms);
	return -1;
}

/*
 * Queue AUTH, SELECT and PING (PING answers LOADING while Redis restarts),
 * and CLUSTER SLOTS when the nodes are to be learnt: first on the first
 * connection (a single server answers with an error, and is not asked
 * again), then after each failure in a cluster.
 */
static void
handshake(struct conn *cn)
{
	const struct redis_url *u = &cn->at;
	const char *argv[3];
	char db[24];
	int argc;

	cn->hs_pending = 0;
	if (u->has_pass) {
		argc = 0;
		argv[argc++] = "AUTH";
		if (u->user[0])
			argv[argc++] = u->user;
		argv[argc++] = u->pass;
		redisAppendCommandArgv(cn->c, argc, argv, NULL);
		cn->hs_pending++;
	}
	if (u->db) {
		snprintf(db, sizeof db, "%ld", u->db);
		argv[0] = "SELECT";
		argv[1] = db;
		redisAppendCommandArgv(cn->c, 2, argv, NULL);
		cn->hs_pending++;
	}
	argv[0] = "PING";
	redisAppendCommandArgv(cn->c, 1, argv, NULL);
	cn->hs_pending++;
	cn->slots_pending = 0;
	if (!u->is_unix && cn->cl.state != CLUSTER_NO && cn->cl.want_slots) {
		argv[0] = "CLUSTER";
		argv[1] = "SLOTS";
		redisAppendCommandArgv(cn->c, 2, argv, NULL);
		cn->hs_pending++;
		cn->slots_pending = 1;
	}
}

void
conn_tick(struct conn *cn, int64_t now_ms)
{
	if (cn->state != CONN_DOWN) {
		if (cn->state != CONN_READY && now_ms >= cn->deadline_ms)
			conn_fail(cn, cn->state == CONN_CONNECTING ?
			    "connect timed out" : "login timed out", now_ms);
		return;
	}
	if (now_ms < cn->deadline_ms)
		return;
	cn->c = cn->at.is_unix ? redisConnectUnixNonBlock(cn->at.path) :
	    redisConnectNonBlock(cn->at.host, cn->at.port);
	if (cn->c == NULL) {
		conn_fail(cn, "out of memory", now_ms);
		return;
	}
	if (cn->c->err) {
		fail_ctx(cn, now_ms);
		return;
	}
	cn->state = CONN_CONNECTING;
	cn->deadline_ms = now_ms + cn->timeout_ms;
	handshake(cn);
}

int
conn_pollfd(const struct conn *cn, short *events)
{
	if (cn->c == NULL)
		return -1;
	if (cn->state == CONN_CONNECTING)
		*events = POLLOUT;
	else
		*events = POLLIN | (sdslen(cn->c->obuf) ? POLLOUT : 0);
	return cn->c->fd;
}

int64_t
conn_deadline(const struct conn *cn)
{
	return cn->state == CONN_READY ? -1 : cn->deadline_ms;
}

int
conn_window(const struct conn *cn, int max)
{
	return cn->failures ? 1 : max;
}

int
conn_flush(struct conn *cn, int64_t now_ms)
{
	int done;

	if (cn->c == NULL || cn->state == CONN_CONNECTING)
		return 0;
	if (redisBufferWrite(cn->c, &done) != REDIS_OK)
		return fail_ctx(cn, now_ms);
	return 0;
}

/* The connect finished, one way or the other. */
static int
connected(struct conn *cn, int64_t now_ms)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(cn->c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		conn_fail(cn, strerror(err), now_ms);
		return -1;
	}
	cn->state = CONN_HANDSHAKE;
	return conn_flush(cn, now_ms);
}

int
conn_io(struct conn *cn, short revents, int64_t now_ms)
{
	if (cn->c == NULL)
		return 0;
	if (cn->state == CONN_CONNECTING)
		return revents ? connected(cn, now_ms) : 0;
	if ((revents & POLLOUT) && conn_flush(cn, now_ms) < 0)
		return -1;
	if (revents & (POLLIN | POLLERR | POLLHUP | POLLRDHUP))
		if (redisBufferRead(cn->c) != REDIS_OK)
			return fail_ctx(cn, now_ms);
	return 0;
}

void
conn_append(struct conn *cn, int argc, const char **argv,
    const size_t *argvlen)
{
	/*
	 * The RESP text is made here, in one buffer kept for the process:
	 * hiredis's own formatter (sdscatfmt, a new string per command) was
	 * a fifth of redis-pub's instructions per frame.
	 */
	static struct buf resp;
	size_t n;
	int i;

	resp.len = 0;
	buf_adds(&resp, "*");
	buf_add_u64(&resp, (unsigned long long)argc);
	buf_add(&resp, "\r\n", 2);
	for (i = 0; i < argc; i++) {
		n = argvlen ? argvlen[i] : strlen(argv[i]);
		buf_adds(&resp, "$");
		buf_add_u64(&resp, n);
		buf_add(&resp, "\r\n", 2);
		buf_add(&resp, argv[i], n);
		buf_add(&resp, "\r\n", 2);
	}
	/* hiredis fails an append only when memory runs out. */
	if (redisAppendFormattedCommand(cn->c, resp.p, resp.len) != REDIS_OK)
		fatal(EXIT_SYSTEM, "unable to queue a redis command: %s",
		    cn->c->errstr);
}

/* The outage is over: one line says how long it lasted. */
static void
back(struct conn *cn, int64_t now_ms)
{
	info("redis connected addr=%s db=%ld after_ms=%lld attempts=%d",
	    url_where(&cn->at), cn->at.db,
	    (long long)(now_ms - cn->down_since_ms), cn->failures);
	cn->failures = 0;
	cn->backoff_ms = BACKOFF_MIN_MS;
}

static void
ready(struct conn *cn, int64_t now_ms)
{
	cn->state = CONN_READY;
	cn->ever_ready = 1;
	cn->connects++;
	if (cn->failures == 0)
		info("redis connected addr=%s db=%ld", url_where(&cn->at),
		    cn->at.db);
	else if (cn->cl.state != CLUSTER_YES)
		back(cn, now_ms);
	else
		debug("redis connected addr=%s", url_where(&cn->at));
}

/* The handshake's CLUSTER SLOTS reply r (borrowed). */
static void
slots(struct conn *cn, const redisReply *r)
{
	cn->cl.want_slots = 0;
	if (r->type != REDIS_REPLY_ARRAY) {
		/* Not a cluster, or not ours to ask: MOVED will say. */
		if (cn->cl.state == CLUSTER_UNKNOWN)
			cn->cl.state = CLUSTER_NO;
		return;
	}
	cn->cl.state = CLUSTER_YES;
	cluster_learn(&cn->cl, r);
	debug("redis cluster nodes=%d", cn->cl.n);
}

int
conn_reply(struct conn *cn, redisReply **r, int64_t now_ms)
{
	char reason[200];
	void *v;

	for (;;) {
		if (cn->c == NULL || cn->state == CONN_CONNECTING)
			return 0;
		if (redisGetReplyFromReader(cn->c, &v) != REDIS_OK)
			return fail_ctx(cn, now_ms);
		if (v == NULL)
			return 0;
		if (cn->state == CONN_READY) {
			if (((redisReply *)v)->type != REDIS_REPLY_ERROR) {
				cn->redirects = 0;
				if (cn->failures)	/* a cluster's outage */
					back(cn, now_ms);
			}
			*r = v;
			return 1;
		}
		/*
		 * A handshake reply: AUTH, SELECT, PING, CLUSTER SLOTS, in
		 * that order.
		 */
		if (cn->slots_pending && cn->hs_pending == 1) {
			slots(cn, v);
		} else if (((redisReply *)v)->type == REDIS_REPLY_ERROR) {
			snprintf(reason, sizeof reason, "login refused: %s",
			    ((redisReply *)v)->str);
			freeReplyObject(v);
			conn_fail(cn, reason, now_ms);
			return -1;
		}
		freeReplyObject(v);
		if (--cn->hs_pending == 0)
			ready(cn, now_ms);
	}
}
