/*
 * pub.c - backlog to Redis commands and replies back.  See pub.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "frame.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "pub.h"

int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pub_broken(struct pub *p)
{
	q_unsend_all(&p->q);
	/* The claim's replies are lost with the connection: ask again. */
	if (p->claim == CLAIM_SENT) {
		p->claim = CLAIM_WANT;
		p->claim_replies = 0;
	}
}

const double delay_le[DELAY_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
};

/* Scratch for one command's number arguments; valid until the next command(). */
struct numbuf {
	char a[32], b[160];
};

/*
 * Command for e (borrowed) into argv/len, pointing into p->msg, e, nb and
 * p's keys (all valid until the next call).  Returns argc.
 */
static int
command(struct pub *p, const struct entry *e, const char **argv, size_t *len,
    struct numbuf *nb, long long minid)
{
	const char *key, *data;
	size_t datalen;
	int argc = 0, i;

	switch (e->kind) {
	case ENT_SEQ:
		snprintf(nb->a, sizeof nb->a, "%d", SEQ_KEEP_S);
		snprintf(nb->b, sizeof nb->b, "%llu %s",
		    (unsigned long long)(p->seq_base + e->seq), p->stream_sid);
		argv[argc++] = "SET";
		argv[argc++] = p->seq_key;
		argv[argc++] = nb->b;
		argv[argc++] = "EX";
		argv[argc++] = nb->a;
		goto lens;
	case ENT_REFRESH:
		snprintf(nb->a, sizeof nb->a, "%d", p->claim_s);
		argv[argc++] = "SET";
		argv[argc++] = p->claim_key;
		argv[argc++] = p->token;
		argv[argc++] = "EX";
		argv[argc++] = nb->a;
		goto lens;
	case ENT_RELEASE:
		/* Ours only: after an outage past its expiry it may be another's. */
		argv[argc++] = "EVAL";
		argv[argc++] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
		    "return redis.call('del', KEYS[1]) end return 0";
		argv[argc++] = "1";
		argv[argc++] = p->claim_key;
		argv[argc++] = p->token;
		goto lens;
	}
	if (e->kind == ENT_FRAME && p->format == FMT_JSON) {
		frame_json(&p->msg, &p->head, p->rate, p->seq_base, e);
		data = p->msg.p;
		datalen = p->msg.len;
	} else {
		data = (const char *)e->data;
		datalen = e->len;
	}
	key = e->kind == ENT_FRAME ? p->audio_key : p->route_key[e->route];
	if (p->mode == MODE_XADD) {
		argv[argc++] = "XADD";
		argv[argc++] = key;
		if (p->maxlen) {
			snprintf(nb->a, sizeof nb->a, "%lld", p->maxlen);
			argv[argc++] = "MAXLEN";
			argv[argc++] = "~";
			argv[argc++] = nb->a;
		} else if (minid > 0) {
			snprintf(nb->a, sizeof nb->a, "%lld", minid);
			argv[argc++] = "MINID";
			argv[argc++] = "~";
			argv[argc++] = nb->a;
		}
		argv[argc++] = "*";
		argv[argc++] = "data";
	} else {
		argv[argc++] = p->mode == MODE_SPUBLISH ? "SPUBLISH" : "PUBLISH";
		argv[argc++] = key;
	}
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	argv[argc] = data;	/* binary: its own length */
	len[argc] = datalen;
	return argc + 1;
lens:
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	return argc;
}

/* The key e (borrowed) goes to; borrowed from p. */
static const char *
entry_key(const struct pub *p, const struct entry *e)
{
	switch (e->kind) {
	case ENT_FRAME:
		return p->audio_key;
	case ENT_EVENT:
		return p->route_key[e->route];
	case ENT_SEQ:
		return p->seq_key;
	default:
		return p->claim_key;
	}
}

/* Ask for the claim and the seq to continue from, before any frame. */
static void
claim_send(struct pub *p)
{
	const char *argv[8];
	char ttl[24];
	int argc = 0;

	snprintf(ttl, sizeof ttl, "%d", p->claim_s);
	argv[argc++] = "SET";
	argv[argc++] = p->claim_key;
	argv[argc++] = p->token;
	argv[argc++] = "NX";
	argv[argc++] = "GET";
	argv[argc++] = "EX";
	argv[argc++] = ttl;
	conn_append(&p->cn, argc, argv, NULL);
	argv[0] = "GET";
	argv[1] = p->seq_key;
	conn_append(&p->cn, 2, argv, NULL);
	p->claim = CLAIM_SENT;
	p->claim_replies = 2;
}

void
pub_pump(struct pub *p, int64_t now_ms)
{
	const char *argv[12];
	size_t len[12];
	struct numbuf nb;
	struct entry *e;
	long long minid = 0;
	int argc, n = 0;

	if (!p->resolved || p->cn.state != CONN_READY)
		return;
	if (p->claim == CLAIM_WANT && now_ms >= p->claim_retry_ms) {
		claim_send(p);
		n++;
	}
	if (p->claim == CLAIM_OFF || p->claim == CLAIM_HELD) {
		if (p->mode == MODE_XADD && !p->maxlen && p->retention_s)
			minid = wall_ms() - p->retention_s * 1000;
		while (p->q.inflight <
		    (size_t)conn_window(&p->cn, PUB_WINDOW) &&
		    (e = q_unsent(&p->q)) != NULL) {
			/*
			 * In a cluster another key may be on another node: its
			 * MOVED would send again what follows it, which this
			 * node has already taken.  So a key switch waits for
			 * the replies in flight (a round trip per event).
			 */
			if (p->cn.cl.state == CLUSTER_YES && p->q.inflight &&
			    strcmp(entry_key(p, e), p->last_key) != 0)
				break;
			p->last_key = entry_key(p, e);
			argc = command(p, e, argv, len, &nb, minid);
			conn_append(&p->cn, argc, argv, len);
			q_mark_sent(&p->q, now_ms);
			n++;
		}
	}
	/* One write for everything that was ready: the pipelining. */
	if (n && conn_flush(&p->cn, now_ms) < 0)
		pub_broken(p);
}

/*
 * A reply to the claim's SET or GET (r borrowed).  The SET says nil (it
 * is ours now), our own token (sent again after a broken connection) or
 * another publisher's token (refused).  The GET says where seq goes on.
 */
static void
claim_reply(struct pub *p, const redisReply *r, int64_t now_ms)
{
	unsigned long long next;
	char sid[160], why[LOGSAFE_SIZE(200)];
	int first = p->claim_replies-- == 2;

	if (first) {
		if (r->type == REDIS_REPLY_STRING &&
		    strcmp(r->str, p->token) != 0) {
			snprintf(p->owner, sizeof p->owner, "%s", r->str);
			if (p->claim_first_ms == 0)
				p->claim_first_ms = now_ms;
			p->claim = now_ms - p->claim_first_ms >= CLAIM_WAIT_MS ?
			    CLAIM_REFUSED : CLAIM_WANT;
			p->claim_retry_ms = now_ms + CLAIM_RETRY_MS;
		} else if (r->type == REDIS_REPLY_ERROR) {
			/* A server without SET NX GET (Redis < 7): say so, go on. */
			warnx_("redis refused the claim: %s: publishing unclaimed",
			    logsafe_line(r->str, why, sizeof why));
			p->claim = CLAIM_OFF;
		}
		return;
	}
	if (p->claim == CLAIM_SENT)
		p->claim = CLAIM_HELD;
	sid[0] = '\0';
	if (p->claim == CLAIM_HELD && r->type == REDIS_REPLY_STRING &&
	    sscanf(r->str, "%llu %159s", &next, sid) >= 1 &&
	    (*sid == '\0' || *p->stream_sid == '\0' ||
	    strcmp(sid, p->stream_sid) != 0))
		p->seq_base = next;
	/*
	 * The same stream again (a replay of a capture) starts over at 0:
	 * its frames are the same frames, (stream_sid, seq) names each one.
	 */
}

/*
 * Errors that say "later", not "never": the message is sent again on a
 * new connection (ASK: a slot in migration; it ends in MOVED).  Anything
 * else (WRONGTYPE, OOM, ...) will not get better by retrying the same
 * message.
 */
static int
transient(const char *err)
{
	static const char *const later[] = {
		"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN",
		"NOAUTH", "ASK ", NULL
	};
	int i;

	for (i = 0; later[i]; i++)
		if (strncmp(err, later[i], strlen(later[i])) == 0)
			return 1;
	return 0;
}

/* A frame's reply came: count it, and how long it took (metrics). */
static void
delivered(struct pub *p, const struct entry *e, int64_t now_us)
{
	double d = e->made_us ? (double)(now_us - e->made_us) / 1e6 : 0;
	int i;

	p->delivered++;
	p->delivered_samples += e->len / 2;
	p->bytes += e->len;
	for (i = 0; i < DELAY_BUCKETS && d > delay_le[i]; i++)
		;
	p->delay[i]++;
	p->delay_sum += d;
}

void
pub_replies(struct pub *p, int64_t now_ms)
{
	char reason[200], why[LOGSAFE_SIZE(200)];
	char key[LOGSAFE_SIZE(128)];
	redisReply *r;
	struct entry *e;
	int64_t now_us = 0;
	int got;

	while ((got = conn_reply(&p->cn, &r, now_ms)) == 1) {
		/* The claim's key may live on another node: follow it too. */
		if (p->claim_replies && r->type == REDIS_REPLY_ERROR &&
		    conn_cluster_error(&p->cn, r->str, now_ms)) {
			freeReplyObject(r);
			pub_broken(p);
			return;
		}
		if (p->claim_replies) {
			claim_reply(p, r, now_ms);
			freeReplyObject(r);
			continue;
		}
		e = q_oldest_inflight(&p->q);
		if (e == NULL) {	/* cannot happen: a reply for nothing */
			freeReplyObject(r);
			conn_fail(&p->cn, "reply to no command", now_ms);
			pub_broken(p);
			return;
		}
		if (r->type == REDIS_REPLY_ERROR &&
		    conn_cluster_error(&p->cn, r->str, now_ms)) {
			/* Everything in flight goes again, to the slot's node. */
			freeReplyObject(r);
			pub_broken(p);
			return;
		}
		if (r->type == REDIS_REPLY_ERROR && transient(r->str)) {
			snprintf(reason, sizeof reason, "%s", r->str);
			freeReplyObject(r);
			conn_fail(&p->cn, reason, now_ms);
			pub_broken(p);
			return;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			/* The first one says why; the stop line counts them all. */
			if (p->rejected++ == 0)
				warnx_("redis refused a%s: %s key=%s",
				    e->kind == ENT_FRAME ? " frame" :
				    e->kind == ENT_EVENT ? "n event" : " claim",
				    logsafe_line(r->str, why, sizeof why),
				    logsafe(entry_key(p, e), key, sizeof key));
			if (e->kind == ENT_FRAME)
				p->rejected_frames++;
		} else if (e->kind == ENT_FRAME)
			delivered(p, e, now_us ? now_us : (now_us = mono_us()));
		if (e->kind == ENT_REFRESH)
			p->refresh_queued = 0;
		freeReplyObject(r);
		q_ack(&p->q);
	}
	if (got < 0)
		pub_broken(p);
}

void
pub_check_timeout(struct pub *p, int64_t now_ms)
{
	struct entry *e = q_oldest_inflight(&p->q);
	char reason[80];

	if (e == NULL || p->cn.state != CONN_READY ||
	    now_ms - e->sent_ms < p->cn.timeout_ms)
		return;
	snprintf(reason, sizeof reason, "no reply within %d ms",
	    p->cn.timeout_ms);
	conn_fail(&p->cn, reason, now_ms);
	pub_broken(p);
}

int64_t
pub_deadline(const struct pub *p)
{
	struct entry *e = TAILQ_FIRST(&p->q.all);

	if (p->cn.state == CONN_READY && p->claim == CLAIM_WANT)
		return p->claim_retry_ms;
	if (p->cn.state == CONN_READY)
		return p->q.inflight ? e->sent_ms + p->cn.timeout_ms : -1;
	return conn_deadline(&p->cn);
}
