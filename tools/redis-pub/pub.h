/*
 * pub.h - the publisher: the backlog (queue.h) pumped through the
 * connection (conn.h) as PUBLISH, SPUBLISH or XADD commands, pipelined,
 * with each reply matched to its message by position.
 */
#ifndef PUB_H
#define PUB_H

#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "queue.h"

enum { MODE_PUBLISH, MODE_SPUBLISH, MODE_XADD };
enum { FMT_JSON, FMT_RAW };

/* Commands written but not answered at most: bounds the copy in hiredis's buffer. */
#define PUB_WINDOW 256

struct pub {
	/* Set once from the options. */
	int mode;
	int format;
	unsigned rate;
	long long maxlen;	/* XADD MAXLEN ~ */
	/* Set when the call's identity is known; owned. */
	int resolved;
	char *audio_key;	/* channel or stream of the frames */
	char *events_key;	/* NULL: events are not published */
	struct buf head;	/* frame_head() of the call */
	/* State. */
	struct queue q;
	struct conn cn;
	struct buf msg;		/* the message being written; reused */
	uint64_t rejected;	/* messages Redis answered with an error */
	uint64_t rejected_frames;	/* of which frames */
	uint64_t delivered;	/* frames acknowledged */
};

/* Write unsent messages while the connection is READY and the window allows. */
void pub_pump(struct pub *p, int64_t now_ms);

/* Match the replies already read to their messages. */
void pub_replies(struct pub *p, int64_t now_ms);

/* Drop a connection whose oldest command waited past the timeout. */
void pub_check_timeout(struct pub *p, int64_t now_ms);

/* The earliest time pub_check_timeout() or conn_tick() must run, or -1. */
int64_t pub_deadline(const struct pub *p);

/* The connection broke: everything in flight goes back to unsent. */
void pub_broken(struct pub *p);

#endif
