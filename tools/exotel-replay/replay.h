/*
 * replay.h - what the parts of exotel-replay share: the options, the input
 * reader, the message source of one call, and the connection state.
 *
 *   input.c    reads the input (per call, by offset) and finds its format
 *   source.c   turns the input into the messages of one call, each with
 *              the media time at which it is due
 *   conn.c     the libwebsockets client: pacing, writing, closing, and
 *              what the server sends back
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libwebsockets.h>

/* The longest input line (one message of a capture) we accept. */
#define LINE_MAX_BYTES (4 << 20)
/* The most of one text message from the server we print. */
#define RX_MAX_BYTES (1 << 20)

enum format { FMT_AUTO, FMT_NDJSON, FMT_PCM, FMT_WAV, FMT_MULAW };

/* Options, filled by main and read-only afterwards. */
struct opts {
	enum format format;
	int rate;		/* of raw audio input (WAV: from its header) */
	int chunk_ms;		/* -c */
	int factor;		/* -x: 1 real time, 0 as fast as possible */
	int native;		/* -N */
	int ncalls;		/* -n */
	int abort_ms;		/* -a, -1 off */
	int frag;		/* -f, 0 off */
	long oversize;		/* -O, 0 off */
	int linger_s;		/* -w */
	int timeout_s;		/* -t, 0 off */
	int insecure;		/* -k */
	int timing_log;		/* -L given: chunks and timestamps wanted */
	const char *ca;		/* -C, borrowed from argv/env */
	const char *id;		/* -i, or NULL */
	const char *tenant;	/* -A, or NULL */
	const char *auth;	/* full Authorization value, or NULL */
	char *const *params;	/* -p NAME=VALUE list, NULL-ended */
};
extern struct opts opt;

/*
 * The input of one call.  Regular files (and stdin redirected from one)
 * are read with pread() at a per-call offset, so every call reads the
 * same bytes through one descriptor; a pipe is read as it comes (only one
 * call may then share it: main copies it to memory first for -n > 1).
 */
struct reader {
	int fd;			/* borrowed */
	int seekable;
	off_t off;		/* next pread offset */
	off_t limit;		/* stop here (WAV data length), -1 none */
	char *buf;		/* owned; holds [start, end) not yet consumed */
	size_t cap, start, end;
	int eof;
	long line;		/* number of the last line returned */
};

void reader_init(struct reader *r, int fd, off_t off);
void reader_free(struct reader *r);
/*
 * Make at least n bytes available (fewer only at end of input).  Returns
 * the number available; *p (borrowed, valid until the next reader call)
 * points at them.  -1 with errno on a read error.
 */
ssize_t reader_peek(struct reader *r, size_t n, const char **p);
void reader_consume(struct reader *r, size_t n);
/*
 * Next line, without its "\n" or "\r\n".  1 with *p and *len set (borrowed
 * until the next call), 0 at end of input, -1 read error (errno), -2 the
 * line is longer than LINE_MAX_BYTES.
 */
int reader_line(struct reader *r, const char **p, size_t *len);

/* What the input is, decided once from its first bytes (input.c). */
struct input {
	int fd;
	enum format format;	/* never FMT_AUTO after input_open */
	int rate;
	off_t data_off;		/* where the audio or lines start */
	off_t data_len;		/* WAV data chunk length, -1 to the end */
};
/*
 * Open path ("-" or NULL: stdin) and decide its format.  Exits 1 on
 * input that cannot be used, 111 on a system error.
 */
void input_open(struct input *in, const char *path, int ncalls);

/* One message to send: LWS_PRE bytes of headroom, then the payload. */
struct outmsg {
	unsigned char *buf;	/* owned; LWS_PRE + cap bytes */
	size_t cap, len;
	int binary;
	int is_start;		/* the call's start message (for -O) */
	int64_t due_ms;		/* media time it is due, -1 right away */
	long chunk;		/* for the -L log; -1 for non-media */
	int64_t ts_ms;		/* media timestamp for the log, -1 none */
};

/* The messages of one call, produced one at a time. */
struct source {
	struct reader rd;
	const struct input *in;	/* borrowed */
	int index;		/* call number, 0.. */
	int phase;		/* wrapped audio: which message is next */
	char callid[160];	/* after rewriting */
	char tenant[160];
	long seq, chunk;
	uint64_t samples;	/* sent so far (wrapped audio, native) */
	int64_t media_ms;	/* running media clock of a capture */
	int cap_rate;		/* capture's start: rate and codec */
	int cap_mulaw;
	int started;		/* native from a capture: start sent */
	int warned;		/* media before start reported */
	char err[128];		/* why source_next returned -1 */
};

void source_init(struct source *s, const struct input *in, int index);
void source_free(struct source *s);
/*
 * Fill m with the next message.  1 a message, 0 end of the call's
 * messages, -1 bad input (s->err says why, with the line number).
 */
int source_next(struct source *s, struct outmsg *m);
void outmsg_reserve(struct outmsg *m, size_t n);
void outmsg_set(struct outmsg *m, const void *p, size_t n);

/*
 * Run every call to the end (conn.c).  Returns the exit status, or exits
 * with it after one fatal line naming the first call that failed.
 */
int replay_run(const char *url, const struct input *in);
/* The -L timing log: open (exits 111 on failure), and close (-1 error). */
void replay_log_open(const char *path);
int replay_log_close(void);

#endif
