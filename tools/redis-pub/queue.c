/*
 * queue.c - the backlog of unacknowledged messages.  See queue.h.
 */
#include <stdlib.h>

#include "msg.h"
#include "queue.h"

void
q_init(struct queue *q, size_t max_frames)
{
	TAILQ_INIT(&q->all);
	q->next = NULL;
	q->frames = q->entries = q->inflight = 0;
	q->max_frames = max_frames;
	q->dropped = 0;
}

struct entry *
q_new(int kind, size_t len)
{
	struct entry *e;

	if ((e = malloc(sizeof *e + len)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate a %zu-byte message", len);
	e->kind = kind;
	e->seq = e->ts_ms = 0;
	e->route = 0;
	e->made_us = 0;
	e->sent_ms = 0;
	e->len = len;
	return e;
}

static void
q_remove(struct queue *q, struct entry *e)
{
	if (q->next == e)
		q->next = TAILQ_NEXT(e, link);
	TAILQ_REMOVE(&q->all, e, link);
	if (e->kind == ENT_FRAME)
		q->frames--;
	q->entries--;
	free(e);
}

int
q_push(struct queue *q, struct entry *e)
{
	struct entry *old;

	TAILQ_INSERT_TAIL(&q->all, e, link);
	if (q->next == NULL)
		q->next = e;
	q->entries++;
	if (e->kind != ENT_FRAME)
		return 0;
	if (++q->frames <= q->max_frames)
		return 0;
	/*
	 * Drop the oldest frame not yet written: in-flight frames are part of
	 * a pipeline whose replies are matched by position, and a live call's
	 * consumer wants the newest audio most.  There is always one unsent
	 * frame, e itself.
	 */
	for (old = q->next; old->kind != ENT_FRAME; old = TAILQ_NEXT(old, link))
		;
	q_remove(q, old);
	q->dropped++;
	return 1;
}

struct entry *
q_unsent(struct queue *q)
{
	return q->next;
}

void
q_mark_sent(struct queue *q, int64_t now_ms)
{
	q->next->sent_ms = now_ms;
	q->next = TAILQ_NEXT(q->next, link);
	q->inflight++;
}

struct entry *
q_oldest_inflight(struct queue *q)
{
	return q->inflight ? TAILQ_FIRST(&q->all) : NULL;
}

void
q_ack(struct queue *q)
{
	q->inflight--;
	q_remove(q, TAILQ_FIRST(&q->all));
}

void
q_unsend_all(struct queue *q)
{
	q->next = TAILQ_FIRST(&q->all);
	q->inflight = 0;
}

void
q_free(struct queue *q)
{
	struct entry *e;

	while ((e = TAILQ_FIRST(&q->all)) != NULL)
		q_remove(q, e);
	q->inflight = 0;
}
