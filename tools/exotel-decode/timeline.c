/*
 * timeline.c - gaps, duplicates and late chunks.  See timeline.h.
 */
#include <string.h>

#include "timeline.h"

void
tl_init(struct timeline *tl, unsigned rate, int fill_leading,
    unsigned long long max_gap_ms)
{
	memset(tl, 0, sizeof *tl);
	tl->rate = rate;
	tl->fill_leading = fill_leading;
	tl->max_gap = max_gap_ms * rate / 1000;
	tl->last_chunk = -1;
	tl->last_ts = -1;
}

void
tl_free_run(struct timeline *tl)
{
	tl->free_run = 1;
}

void
tl_advance(struct timeline *tl, size_t n)
{
	tl->pos += n;
}

unsigned long long
tl_ms(const struct timeline *tl)
{
	return tl->pos * 1000 / tl->rate;
}

static void
remember(struct timeline *tl, long long key)
{
	tl->recent[tl->nextrecent] = key;
	tl->nextrecent = (tl->nextrecent + 1) % TL_RECENT;
	if (tl->nrecent < TL_RECENT)
		tl->nrecent++;
}

static int
seen(const struct timeline *tl, long long key)
{
	int i;

	for (i = 0; i < tl->nrecent; i++)
		if (tl->recent[i] == key)
			return 1;
	return 0;
}

/*
 * d: samples between where the chunk belongs and where we are.  Within
 * half a chunk either way it is jitter in the sender's clock, not a loss:
 * the chunk goes in place.  Further behind, it is written all the same
 * (the caller ruled out duplicates and late chunks).
 */
static void
decide(struct timeline *tl, long long d, size_t n, struct placement *pl)
{
	long long tol = n / 2 > 0 ? (long long)(n / 2) : 1;

	if (d <= -tol) {
		tl->overlaps++;
		return;
	}
	if (d >= tol) {
		if ((unsigned long long)d > tl->max_gap) {
			pl->jumped = (unsigned long long)d;
			tl->shift += d;
			tl->jumps++;
		} else {
			pl->silence = (unsigned long long)d;
			tl->gaps++;
			tl->gap_samples += (unsigned long long)d;
		}
	}
}

/* The first chunk: it fixes the mode and time zero. */
static void
first(struct timeline *tl, long long ts, long long chunk, struct placement *pl)
{
	tl->mode = ts >= 0 ? TL_TIMESTAMP : chunk >= 0 ? TL_CHUNK : TL_APPEND;
	tl->base_ms = ts >= 0 && !tl->fill_leading ? ts : 0;
	if (ts > 0 && tl->fill_leading) {
		/* Not a loss: where the sender's clock began. */
		pl->silence = (unsigned long long)ts * tl->rate / 1000;
		pl->leading = 1;
		if (pl->silence > tl->max_gap) {
			pl->silence = 0;
			pl->leading = 0;
			tl->base_ms = ts;
		}
	}
}

void
tl_place(struct timeline *tl, long long ts, long long chunk, size_t n,
    struct placement *pl)
{
	long long key = -1;	/* nothing to place it by: append */

	memset(pl, 0, sizeof *pl);
	pl->verdict = TL_ACCEPT;
	if (tl->mode == TL_NONE) {
		first(tl, ts, chunk, pl);
		key = tl->mode == TL_TIMESTAMP ? ts : chunk;
	} else if (tl->mode == TL_TIMESTAMP && ts >= 0) {
		key = ts;
		if (seen(tl, key))
			pl->verdict = TL_DUPLICATE;
		else if (ts < tl->last_ts)
			pl->verdict = TL_LATE;
		else if (!tl->free_run)
			decide(tl, (ts - tl->base_ms) * (long long)tl->rate /
			    1000 - tl->shift - (long long)tl->pos, n, pl);
	} else if (tl->mode == TL_CHUNK && chunk >= 0) {
		key = chunk;
		if (tl->last_chunk >= 0 && chunk <= tl->last_chunk)
			pl->verdict = seen(tl, key) ? TL_DUPLICATE : TL_LATE;
		else if (!tl->free_run && tl->last_chunk >= 0 &&
		    chunk > tl->last_chunk + 1)
			decide(tl, (chunk - tl->last_chunk - 1) *
			    (long long)tl->last_len, n, pl);
	}
	if (pl->verdict != TL_ACCEPT) {
		if (pl->verdict == TL_DUPLICATE)
			tl->dups++;
		else
			tl->late++;
		return;
	}
	if (key >= 0)
		remember(tl, key);
	if (chunk >= 0)
		tl->last_chunk = chunk;
	if (ts >= 0)
		tl->last_ts = ts;
	tl->last_len = n;
	tl->chunks++;
	tl->pos += pl->silence + n;
}
