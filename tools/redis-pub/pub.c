/*
 * pub.c - backlog to Redis commands and replies back.  See pub.h.
 */
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "msg.h"
#include "num.h"
#include "pub.h"

void
pub_broken(struct pub *p)
{
	q_unsend_all(&p->q);
}

/*
 * Command for e (borrowed) into argv/len, pointing into p->msg, e and
 * p's keys (all valid until the next call).  Returns argc.
 */
static int
command(struct pub *p, const struct entry *e, const char **argv, size_t *len,
    char *maxlen, size_t maxlensz)
{
	const char *key, *data;
	size_t datalen;
	int argc = 0, i;

	if (e->kind == ENT_FRAME && p->format == FMT_JSON) {
		frame_json(&p->msg, &p->head, p->rate, e);
		data = p->msg.p;
		datalen = p->msg.len;
	} else {
		data = (const char *)e->data;
		datalen = e->len;
	}
	key = e->kind == ENT_FRAME ? p->audio_key : p->events_key;
	if (p->mode == MODE_XADD) {
		snprintf(maxlen, maxlensz, "%lld", p->maxlen);
		argv[argc++] = "XADD";
		argv[argc++] = key;
		argv[argc++] = "MAXLEN";
		argv[argc++] = "~";
		argv[argc++] = maxlen;
		argv[argc++] = "*";
		argv[argc++] = "data";
	} else {
		argv[argc++] = p->mode == MODE_SPUBLISH ? "SPUBLISH" : "PUBLISH";
		argv[argc++] = key;
	}
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	argv[argc] = data;
	len[argc] = datalen;
	return argc + 1;
}

void
pub_pump(struct pub *p, int64_t now_ms)
{
	const char *argv[8];
	size_t len[8];
	char maxlen[24];
	struct entry *e;
	int argc, n = 0;

	if (!p->resolved || p->cn.state != CONN_READY)
		return;
	while (p->q.inflight < (size_t)conn_window(&p->cn, PUB_WINDOW) &&
	    (e = q_unsent(&p->q)) != NULL) {
		argc = command(p, e, argv, len, maxlen, sizeof maxlen);
		conn_append(&p->cn, argc, argv, len);
		q_mark_sent(&p->q, now_ms);
		n++;
	}
	/* One write for everything that was ready: the pipelining. */
	if (n && conn_flush(&p->cn, now_ms) < 0)
		pub_broken(p);
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

void
pub_replies(struct pub *p, int64_t now_ms)
{
	char reason[200];
	redisReply *r;
	struct entry *e;
	int got;

	while ((got = conn_reply(&p->cn, &r, now_ms)) == 1) {
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
				warnx_("redis refused a %s: %s key=%s",
				    e->kind == ENT_FRAME ? "frame" : "event",
				    r->str, e->kind == ENT_FRAME ?
				    p->audio_key : p->events_key);
			if (e->kind == ENT_FRAME)
				p->rejected_frames++;
		} else if (e->kind == ENT_FRAME)
			p->delivered++;
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

	if (p->cn.state == CONN_READY)
		return p->q.inflight ? e->sent_ms + p->cn.timeout_ms : -1;
	return conn_deadline(&p->cn);
}
