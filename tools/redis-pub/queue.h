/*
 * queue.h - the backlog: every message not yet acknowledged by Redis, in
 * the order it must reach Redis.  Entries from the head up to q->next have
 * been written to the connection and wait for their reply (in flight);
 * q->next and after are unsent.  A broken connection makes every entry
 * unsent again, so nothing acknowledged is ever lost and nothing in flight
 * is given up (it may be delivered twice; seq tells a consumer).
 *
 * The bound counts audio frames only: events are few and small, and the
 * start and stop events are what a consumer needs most.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

/*
 * Frames and events, and the call's bookkeeping commands that travel in
 * order with them: a seq reservation (SET of the seq key), a refresh of
 * the claim, its release.
 */
enum { ENT_FRAME, ENT_EVENT, ENT_SEQ, ENT_REFRESH, ENT_RELEASE };

struct entry {
	TAILQ_ENTRY(entry) link;
	int kind;
	int route;		/* events: which key (pub.h, ROUTE_*) */
	uint64_t seq;		/* frames: 0, 1, 2, ... per call; ENT_SEQ: next */
	int64_t made_us;	/* frames: monotonic time the last sample came */
	uint64_t ts_ms;		/* frames: samples before it * 1000 / rate */
	int64_t sent_ms;	/* monotonic time written; valid while in flight */
	size_t len;
	unsigned char data[];	/* frame: PCM16LE; event: compact JSON */
};

TAILQ_HEAD(entry_list, entry);

struct queue {
	struct entry_list all;
	struct entry *next;	/* first unsent entry, NULL when none */
	size_t frames;		/* frame entries queued, sent or not */
	size_t entries;
	size_t inflight;
	size_t max_frames;	/* the backlog bound */
	uint64_t dropped;	/* frames dropped for the bound */
};

void q_init(struct queue *q, size_t max_frames);

/* A new entry with room for len bytes of data; owned by the caller until pushed. */
struct entry *q_new(int kind, size_t len);

/*
 * Append e (consumed).  When the frames exceed the bound, the oldest
 * unsent frame is dropped and freed; returns the number dropped (0 or 1).
 */
int q_push(struct queue *q, struct entry *e);

/* The first unsent entry (borrowed), or NULL. */
struct entry *q_unsent(struct queue *q);

/* Mark the first unsent entry as written at now_ms. */
void q_mark_sent(struct queue *q, int64_t now_ms);

/* The oldest in-flight entry (borrowed), or NULL. */
struct entry *q_oldest_inflight(struct queue *q);

/* Remove and free the oldest in-flight entry: its reply came. */
void q_ack(struct queue *q);

/* The connection broke: everything in flight is unsent again. */
void q_unsend_all(struct queue *q);

/* Free every entry (at exit). */
void q_free(struct queue *q);

#endif
