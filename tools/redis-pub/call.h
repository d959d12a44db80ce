/*
 * call.h - one call's state in redis-pub: its identity, the frame being
 * cut, the events waiting for their place, the counters; and the
 * functions of identity.c, lifecycle.c and audio.c that act on it.
 */
#ifndef CALL_H
#define CALL_H

#include <stdint.h>
#include <jq.h>

#include "event.h"
#include "frame.h"
#include "pub.h"

/* Events waiting for Redis at most (the stop event always gets in). */
#define EVENT_BACKLOG_MAX 1000

/*
 * An event stamped further ahead of the audio than this is not believed
 * (a clock of another kind) and goes out at once.
 */
#define EVENT_HOLD_MAX_MS 2000

/* After stdin ends, how long the decoder's stop event is waited for. */
#define EVENT_GRACE_MS 2000

/* Layouts: ours, or the original service's (REDIS_LAYOUT=rtaafin). */
enum { LAYOUT_DEFAULT, LAYOUT_RTAAFIN };

struct call {
	struct pub p;
	struct evreader ev;
	int use_events;		/* -E given */
	int layout;
	int oneshot;		/* -s: publish the stop alone (redis-pub died) */
	int release_dead;	/* -s: the dead publisher's claim to release */
	int progress_fd;	/* -P: our totals at offset 0; -1 none */
	char *progress_map;	/* that file mapped, or NULL */
	const char *id_opt;	/* -i or INTERACTION_ID; borrowed */
	const char *tenant_opt;	/* -t or TENANT_ID; borrowed */
	const char *sid_opt;	/* STREAM_SID; borrowed */
	const char *track_opt;	/* TRACK; borrowed */
	const char *call_sid_env;	/* CALL_SID; borrowed */
	unsigned in_rate;	/* SAMPLE_RATE: the decoder's rate; 0 unknown */
	const char *chan_tpl;	/* borrowed */
	const char *route_tpl[NROUTES];	/* borrowed; NULL: not published */
	char *id, *tenant;	/* owned, once resolved */
	char *stream_sid, *track, *call_sid;	/* owned or NULL */
	jv stop;		/* the decoder's stop event; owned when have_stop */
	int have_stop;
	unsigned long events_dropped;
	struct held {		/* events waiting for the audio up to their time */
		jv v;		/* owned */
		uint64_t t_ms;
		int route;
	} *held;
	size_t nheld, held_cap;
	unsigned long drop_warned;	/* connects + 1 when the drop was logged */
	struct entry *cur;	/* the frame being filled; owned */
	size_t frame_bytes, cur_len;
	size_t early_bytes;	/* -a: a frame may end this much short (frames.c) */
	uint64_t seq, samples;
	uint64_t reserved;	/* seq reserved in Redis up to (claim) */
	int64_t refresh_ms;	/* when the claim is refreshed next */
	int in_eof, odd_byte, read_error;
	int finished;		/* stop queued: nothing more will be added */
	int64_t start_ms, eof_ms;
	int wait_s;
	const char *end_reason;	/* for the metrics; borrowed, static */
	size_t backlog_hw;	/* most frames waiting at once */
	/* -B and -W not set: raised to CLUSTER_DEFAULT_S once Redis is a cluster */
	int cluster_backlog, cluster_wait;
};

/*
 * Backlog and give-up time against a Redis Cluster, unless set: longer
 * than a failover at Redis's default cluster-node-timeout (15 s).
 */
#define CLUSTER_DEFAULT_S 30

/* identity.c */
void resolve(struct call *c, const struct names *ev);

/* lifecycle.c: the call's events, in line with the audio */
uint64_t audio_ms(const struct call *c);
void start_event(struct call *c);
void on_event(jv v, void *arg);
void release_held(struct call *c, int all);
void finish(struct call *c);

/* Write our totals to -P (the one-shot stop reads them), and our claim's token once. */
void progress(const struct call *c);
void token_progress(const struct call *c);

/* audio.c: PCM into frames */
void add_pcm(struct call *c, const unsigned char *s, size_t n);
void end_input(struct call *c, int64_t now);
void push_frame(struct call *c, size_t len);

/* frames.c: at a pause in the input, end a frame that is nearly full */
void frame_cut_at_pause(struct call *c);

#endif
