/*
 * output.h - the PCM16LE leaving on stdout (or the chain's pipe).
 *
 * Unblocked (no -b): what is decoded is gathered while more input is
 * already at hand and written before the next read could wait
 * (out_drain), so a live call's chunk leaves at once and a file's
 * chunks leave in few writes.  Blocked (-b): every write is one whole
 * block; the partial last block leaves at stop or EOF (out_flush).
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

#define OUT_GATHER 65536	/* unblocked: a pipe's worth at most */

struct output {
	int fd;
	int blocked;
	unsigned char *buf;	/* owned; a block, or OUT_GATHER bytes */
	size_t size;		/* bytes at buf */
	size_t fill;		/* bytes waiting in buf */
	unsigned long long bytes;	/* PCM bytes accepted so far */
	unsigned long long written;	/* of those, bytes written */
};

/* blksize 0: unblocked.  Exits EXIT_SYSTEM without memory. */
void out_init(struct output *o, int fd, size_t blksize);
void out_free(struct output *o);

/*
 * Queue n bytes of p (borrowed); whole blocks, or a full gather buffer,
 * are written before returning.  0, or -1 with errno from write(2).
 */
int out_pcm(struct output *o, const void *p, size_t n);
/* The same for n bytes of silence. */
int out_silence(struct output *o, size_t n);
/* Before a read that may wait: write what unblocked output gathered. */
int out_drain(struct output *o);
/* At stop and EOF: write everything, the partial block too. */
int out_flush(struct output *o);
/* Write p before anything queued after (the WAV header). */
int out_direct(struct output *o, const void *p, size_t n);

#endif
