/*
 * input.h - stdin read in big chunks and cut into lines by us (not stdio),
 * with a cap on the length of one line; after a native start, raw bytes.
 */
#ifndef INPUT_H
#define INPUT_H

#include <stddef.h>
#include <sys/types.h>

struct input {
	int fd;
	char *buf;		/* owned: cap + IN_READ bytes */
	size_t size;		/* bytes allocated at buf */
	size_t cap;		/* longest line kept whole */
	size_t head, tail;	/* unread bytes are buf[head..tail) */
	size_t scan;		/* buf[head..scan) is known to hold no '\n' */
	int skipping;		/* inside a line longer than cap */
	int eof;
	unsigned long line;	/* number of the line last returned, from 1 */
	unsigned long long consumed;	/* bytes handed out so far */
	int timeout_ms;		/* -1: wait for input as long as it takes */
	/* Called before every read(2), which may wait: flush output there. */
	void (*idle)(void *arg);
	void *idle_arg;
};

/* One read(2) asks for this much, so a 20 ms message costs no syscall. */
#define IN_READ 65536

enum { IN_EOF = 0, IN_LINE = 1, IN_TOOLONG = 2, IN_QUIET = 3, IN_ERROR = -1 };

/* Allocate the buffer; exits EXIT_SYSTEM when memory is short. */
void in_init(struct input *in, int fd, size_t cap);
void in_free(struct input *in);

/*
 * Next line, '\n' included when there is one (the last line at EOF may
 * lack it).  *p points into in->buf: borrowed, valid (and writable) until
 * the next call.  Returns IN_LINE, IN_EOF, IN_ERROR (errno set), or
 * IN_TOOLONG once for a line longer than cap, whose bytes (read so far
 * and still to come) are then thrown away without being kept.  IN_QUIET:
 * no input came for timeout_ms (when it is not -1).
 */
int in_line(struct input *in, char **p, size_t *n);

/*
 * Raw mode (after a native start): the next bytes, buffered ones first.
 * *p is borrowed like in_line's.  Returns the count, 0 at EOF, -1 on error.
 */
ssize_t in_raw(struct input *in, char **p);

#endif
