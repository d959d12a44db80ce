/*
 * output.h - the PCM16LE leaving on stdout (or the chain's pipe): written
 * as soon as decoded, or in whole blocks of -b milliseconds.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

struct output {
	int fd;
	unsigned char *blk;	/* owned; NULL when unblocked */
	size_t blksize;		/* bytes in a whole block; 0 when unblocked */
	size_t fill;		/* bytes waiting in blk */
	unsigned long long bytes;	/* PCM bytes accepted so far */
};

/* blksize 0: every call writes at once.  Exits EXIT_SYSTEM without memory. */
void out_init(struct output *o, int fd, size_t blksize);
void out_free(struct output *o);

/*
 * Queue n bytes of p (borrowed): whole blocks, or everything when
 * unblocked, are written before returning.  0, or -1 with errno from
 * write(2) (the bytes still count in o->bytes: the caller stops anyway).
 */
int out_pcm(struct output *o, const void *p, size_t n);
/* The same for n bytes of silence. */
int out_silence(struct output *o, size_t n);
/* Write the partial block (at stop and EOF).  0 or -1 with errno. */
int out_flush(struct output *o);
/* Bytes written or queued, for the header and events that bypass blocks. */
int out_direct(struct output *o, const void *p, size_t n);

#endif
