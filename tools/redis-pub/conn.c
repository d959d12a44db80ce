/*
 * conn.c - a non-blocking Redis connection that comes back.  See conn.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "msg.h"

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
	if (cn->failures == 0)
		warnx_("redis %s: %s addr=%s", cn->state == CONN_READY ?
		    "connection lost" : "unable to connect", reason,
		    url_where(&cn->at));
	else
		debug("redis attempt failed: %s attempt=%d", reason,
		    cn->failures + 1);
	if (cn->state == CONN_READY || cn->failures == 0)
		cn->down_since_ms = now_ms;
	cn->failures++;
	conn_close(cn);
	/* A node we were sent to may be gone (failover): ask home again. */
	cn->at = cn->home;
	cn->deadline_ms = now_ms + cn->backoff_ms;
	cn->backoff_ms *= 2;
	if (cn->backoff_ms > BACKOFF_MAX_MS)
		cn->backoff_ms = BACKOFF_MAX_MS;
}

void
conn_redirect(struct conn *cn, const char *host, int port, int64_t now_ms)
{
	if (*host)
		snprintf(cn->at.host, sizeof cn->at.host, "%s", host);
	cn->at.port = port;
	cn->at.is_unix = 0;
	cn->at.db = 0;		/* a cluster has database 0 only */
	info("redis redirected (MOVED) addr=%s", url_where(&cn->at));
	conn_close(cn);
	cn->deadline_ms = now_ms;
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

/* Queue AUTH, SELECT and PING: PING answers LOADING while Redis restarts. */
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
	/* hiredis fails an append only when memory runs out. */
	if (redisAppendCommandArgv(cn->c, argc, argv, argvlen) != REDIS_OK)
		fatal(EXIT_SYSTEM, "unable to queue a redis command: %s",
		    cn->c->errstr);
}

static void
ready(struct conn *cn, int64_t now_ms)
{
	cn->state = CONN_READY;
	if (cn->failures)
		info("redis connected addr=%s db=%ld after_ms=%lld attempts=%d",
		    url_where(&cn->at), cn->at.db,
		    (long long)(now_ms - cn->down_since_ms), cn->failures);
	else
		info("redis connected addr=%s db=%ld", url_where(&cn->at),
		    cn->at.db);
	cn->failures = 0;
	cn->backoff_ms = BACKOFF_MIN_MS;
	cn->ever_ready = 1;
	cn->connects++;
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
			*r = v;
			return 1;
		}
		/* A handshake reply: AUTH, SELECT or PING, in that order. */
		if (((redisReply *)v)->type == REDIS_REPLY_ERROR) {
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
