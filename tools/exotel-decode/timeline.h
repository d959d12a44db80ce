/*
 * timeline.h - where a media chunk belongs on the call's clock: in place,
 * after a gap to fill with silence, or nowhere (a duplicate or a chunk
 * that arrived after its place was filled).
 *
 * A chunk is dropped only when it is a duplicate or arrives out of order
 * (older than the last one placed); one that comes in order but behind
 * the clock (its sender's clock runs slow, or the rate in force is
 * wrong) is written after what came before: audio is never dropped for
 * being early.
 *
 * Time comes from media.timestamp (ms) when the first chunk has one, else
 * from media.chunk numbers times the previous chunk's length, else chunks
 * are simply appended.  The first chunk is time zero of the PCM unless
 * fill_leading is set, in which case its timestamp is filled with silence
 * too (so sample position == media.timestamp).
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stddef.h>

/* Keys remembered to tell duplicates from late chunks. */
#define TL_RECENT 64

struct timeline {
	unsigned rate;
	int mode;		/* TL_NONE until the first chunk */
	int fill_leading;
	unsigned long long max_gap;	/* samples; longer: left unfilled */
	long long base_ms;	/* timestamp of sample 0 */
	long long shift;	/* samples skipped by unfilled jumps */
	long long last_chunk;
	long long last_ts;	/* of the last chunk accepted, -1: none */
	int free_run;		/* timestamps no longer place chunks */
	size_t last_len;	/* samples in the last accepted chunk */
	unsigned long long pos;	/* samples placed so far (silence included) */
	long long recent[TL_RECENT];
	int nrecent, nextrecent;
	/* Totals for the stop event and the final log line. */
	unsigned long long chunks, gaps, gap_samples, dups, late, jumps;
	unsigned long long overlaps;	/* in order, but behind the clock */
};

enum { TL_NONE, TL_TIMESTAMP, TL_CHUNK, TL_APPEND };

/* What tl_place decided. */
enum { TL_ACCEPT, TL_DUPLICATE, TL_LATE };

struct placement {
	int verdict;
	unsigned long long silence;	/* samples to write before the chunk */
	unsigned long long jumped;	/* samples of a jump left unfilled */
	int leading;		/* silence is the first chunk's offset (-L) */
};

void tl_init(struct timeline *tl, unsigned rate, int fill_leading,
    unsigned long long max_gap_ms);

/*
 * Place a chunk of n samples with its timestamp ts (ms; -1 when absent)
 * and chunk number (-1 when absent).  On TL_ACCEPT the caller writes
 * pl->silence samples of silence then the chunk; the position advances.
 */
void tl_place(struct timeline *tl, long long ts, long long chunk, size_t n,
    struct placement *pl);

/*
 * From now on chunks go in arrival order: their timestamps no longer
 * decide gaps (they disagree with the chunks' lengths).  Duplicates and
 * chunks older than the last one are still dropped.
 */
void tl_free_run(struct timeline *tl);

/* n samples of a stream without chunks (native): only the position moves. */
void tl_advance(struct timeline *tl, size_t n);

/* Samples placed so far, in milliseconds. */
unsigned long long tl_ms(const struct timeline *tl);

#endif
