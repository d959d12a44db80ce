/*
 * encode.h - exotel-encode's parts and the state they share: one call,
 * one process, so one state (enc), owned by nobody but the program.
 *
 *	exotel-encode.c  the queue of what is to be played, commands in
 *	                 order, pacing, the loop, main
 *	input.c          stdin (the bot's commands or raw PCM) and the
 *	                 call's events (-E)
 *	coproc.c         the resampler coprocess of an utterance
 *	out.c            the messages to the caller
 */
#ifndef ENCODE_H
#define ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Exotel's chunk rules, in payload bytes. */
#define ALIGN 320
#define CHUNK_MIN 3200
#define CHUNK_MAX 102400
/*
 * An open utterance with less than a chunk queued ends after this long
 * without media: longer than the spacing of a TTS that streams in real
 * time, which then still fills whole chunks.
 */
#define GAP_US 200000
/* After a hangup, how long the caller's mark echoes are waited for. */
#define MARK_WAIT_US 1000000
/* Stop reading commands while this much audio is queued. */
#define QUEUE_MAX_S 300
#define LINE_MAX_IN (64 << 20)

enum { CMD_MEDIA, CMD_MARK, CMD_HANGUP, CMD_END };
enum { M_END, M_MARK, M_HANGUP };

struct cmd {
	struct cmd *next;
	int kind;
	unsigned rate;		/* media */
	uint8_t *pcm;		/* media: owned PCM16LE */
	size_t n;
	char *name;		/* mark: owned */
};

struct marker {
	unsigned long long pos;	/* real payload bytes before it */
	int kind;
	char *name;		/* owned */
};

/* The coprocess converting the current utterance. */
struct rs {
	pid_t pid;		/* 0: none */
	int in, out;		/* our ends; -1 when closed */
	int ending;		/* close its input once w is written */
	unsigned rate;
	struct buf w;		/* PCM still to write to it */
	int carry;		/* an odd byte read back, or -1 */
};

struct enc {
	/* the call */
	unsigned rate;
	int mulaw, twilio, started;
	char *sid;		/* owned */
	/* settings */
	size_t chunk, cmax;
	int64_t lead_us;
	unsigned raw_rate;
	int evfd;
	/* input */
	struct buf in;
	int in_open, in_raw_odd;
	uint8_t raw_odd;
	struct cmd *q, **qtail;
	size_t q_bytes;
	int64_t last_media_us;
	int utt_open;
	struct rs rs;
	/* output */
	struct buf pend;	/* payload bytes not yet sent */
	unsigned long long sent;	/* real payload bytes sent */
	struct marker *mk;
	size_t nmk, mkcap, mkhead;
	int playing;
	int64_t t0_us, sent_us;	/* playback clock: audio sent since t0 */
	unsigned long long seq, chunks, out_ms_bytes;
	unsigned long marks_sent, marks_back;
	int hangup_queued;
	int64_t hang_deadline;
	int stopped;		/* the call's stop event came */
	/* events */
	struct buf ev;
	int ev_open;
	unsigned long long msgs, bytes_out, clears;
};

extern struct enc enc;

/* exotel-encode.c */
void want_wake(int64_t t);
void marker_add(int kind, char *name);	/* consumes name (may be NULL) */
struct marker *marker_first(void);
void marker_pop(void);
void pend_pcm(const uint8_t *p, size_t n);	/* borrows p */
struct cmd *cmd_new(int kind);
void cmd_free(struct cmd *c);
void q_push(struct cmd *c);		/* consumes c */
void q_push_front(struct cmd *c);	/* consumes c */
struct cmd *q_pop(void);		/* returns an owned cmd, or NULL */
int end_utterance(struct cmd *c);
void process(void);
void clear(void);
void call_known(void);
int parse_encoding(const char *name, const char *e);
void finish(const char *why) __attribute__((noreturn));

/* input.c */
void stdin_readable(void);
void events_readable(void);

/* coproc.c */
void rs_start(unsigned rate);
void rs_end_input(void);
int rs_closing(void);
void rs_reap(int kill_it);
void rs_readable(void);
void rs_writable(void);

/* out.c */
unsigned payload_rate(void);
int64_t bytes_us(unsigned long long n);
size_t overhead(void);
void send_media(const uint8_t *p, size_t n, size_t pad);	/* borrows p */
void send_mark(const char *name);
void send_clear(void);

#endif
