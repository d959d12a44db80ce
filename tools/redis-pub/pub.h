/*
 * pub.h - the publisher: the backlog (queue.h) pumped through the
 * connection (conn.h) as PUBLISH, SPUBLISH or XADD commands, pipelined,
 * with each reply matched to its message by position; and the call's
 * claim on its audio key (below), taken before the first frame.
 */
#ifndef PUB_H
#define PUB_H

#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "queue.h"

enum { MODE_PUBLISH, MODE_SPUBLISH, MODE_XADD };
enum { FMT_JSON, FMT_RAW };

/* Where each kind of event goes (an entry's route). */
enum { ROUTE_START, ROUTE_STOP, ROUTE_DTMF, ROUTE_MARK, ROUTE_OTHER, NROUTES };

/* Commands written but not answered at most: bounds the copy in hiredis's buffer. */
#define PUB_WINDOW 256

/*
 * The claim: one live publisher per (audio key, interaction id), across
 * hosts.  SET claim:<key>:<id> <token> NX GET EX <claim_s> before the
 * first frame (GET: after a broken connection our own token comes back
 * and counts as ours); refreshed every claim_s / 3; deleted at the end.
 * With it, seq:<key>:<id> holds "<next seq> <stream_sid>": the next
 * stream of the same call on the same key continues the seq; a seq is
 * reserved SEQ_BLOCK frames ahead, so a publisher that dies leaves a hole,
 * never a repeat.
 */
enum { CLAIM_OFF, CLAIM_WANT, CLAIM_SENT, CLAIM_HELD, CLAIM_REFUSED };
/*
 * A claim held by another is asked for again every CLAIM_RETRY_MS for
 * CLAIM_WAIT_MS before the call is refused: the previous stream of the
 * same call may still be delivering its last frames.
 */
#define CLAIM_RETRY_MS 100
#define CLAIM_WAIT_MS 3000
#define SEQ_BLOCK 500
#define SEQ_KEEP_S 3600		/* seq key kept after its last write */

/* Delay histogram bounds (seconds), ingest_frame_delay_seconds. */
#define DELAY_BUCKETS 12
extern const double delay_le[DELAY_BUCKETS];

struct pub {
	/* Set once from the options. */
	int mode;
	int format;
	unsigned rate;
	long long maxlen;	/* XADD MAXLEN ~; 0: trim by retention_s */
	long long retention_s;	/* XADD MINID ~ now - this; 0: no trim */
	int claim_s;		/* 0: no claim */
	/* Set when the call's identity is known; owned. */
	int resolved;
	char *audio_key;	/* channel or stream of the frames */
	char *route_key[NROUTES];	/* NULL: that kind is not published */
	char *claim_key, *seq_key;
	char *stream_sid;	/* for the seq key's value; "" unknown */
	char token[128];	/* our claim's value */
	struct buf head;	/* frame_head() of the call */
	/* State. */
	int claim;
	int claim_replies;	/* of the SET and GET, still awaited */
	int refresh_queued;	/* a claim refresh waits in the queue */
	char owner[128];	/* a refused claim: who holds it */
	int64_t claim_first_ms;	/* first refusal; 0: none yet */
	int64_t claim_retry_ms;	/* when to ask again */
	uint64_t seq_base;	/* added to every frame's seq */
	struct queue q;
	struct conn cn;
	struct buf msg;		/* the message being written; reused */
	const char *last_key;	/* of the last command written; borrowed */
	uint64_t rejected;	/* messages Redis answered with an error */
	uint64_t rejected_frames;	/* of which frames */
	uint64_t delivered;	/* frames acknowledged */
	uint64_t delivered_samples;
	uint64_t bytes;		/* audio bytes acknowledged */
	uint64_t delay[DELAY_BUCKETS + 1];	/* per bucket, last: +Inf */
	double delay_sum;
};

/* Write unsent messages while the connection is READY and the window allows. */
void pub_pump(struct pub *p, int64_t now_ms);

/* Match the replies already read to their messages. */
void pub_replies(struct pub *p, int64_t now_ms);

/* Drop a connection whose oldest command waited past the timeout. */
void pub_check_timeout(struct pub *p, int64_t now_ms);

/* The earliest time pub_check_timeout() or conn_tick() must run, or -1. */
int64_t pub_deadline(const struct pub *p);

/*
 * Wall-clock milliseconds since the epoch: for stamps people and Redis
 * read (MINID, the rtaafin stop's timestamp_ms), never for timeouts.
 */
int64_t wall_ms(void);

/* The connection broke: everything in flight goes back to unsent. */
void pub_broken(struct pub *p);

#endif
