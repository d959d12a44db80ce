/*
 * input.c - lines cut from big reads.  See input.h.
 *
 * One read(2) fetches as much as the pipe holds (up to IN_READ), and lines
 * are handed out from the buffer until it holds no complete line; only
 * then does the next read block, and the idle callback first writes what
 * was decoded, so nothing waits on a read.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "io.h"
#include "msg.h"

void
in_init(struct input *in, int fd, size_t cap)
{
	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->cap = cap;
	in->timeout_ms = -1;
	in->size = cap + IN_READ;
	if ((in->buf = malloc(in->size)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate %zu bytes",
		    in->size);
}

void
in_free(struct input *in)
{
	free(in->buf);
	in->buf = NULL;
}

/* Read more at the tail, first moving unread bytes to the front. */
static ssize_t
fill(struct input *in)
{
	struct pollfd pfd;
	ssize_t r;

	if (in->head > 0 && in->size - in->tail < IN_READ) {
		memmove(in->buf, in->buf + in->head, in->tail - in->head);
		in->scan -= in->head;
		in->tail -= in->head;
		in->head = 0;
	}
	if (in->idle)
		in->idle(in->idle_arg);
	if (in->timeout_ms >= 0) {
		pfd.fd = in->fd;
		pfd.events = POLLIN;
		while ((r = poll(&pfd, 1, in->timeout_ms)) < 0 && errno == EINTR)
			;
		if (r == 0)
			return -2;
	}
	r = read_retry(in->fd, in->buf + in->tail, in->size - in->tail);
	/* A non-blocking stdin (someone else's choice): wait, then read. */
	while (r < 0 && errno == EAGAIN) {
		pfd.fd = in->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
		r = read_retry(in->fd, in->buf + in->tail,
		    in->size - in->tail);
	}
	if (r > 0)
		in->tail += (size_t)r;
	else if (r == 0)
		in->eof = 1;
	return r;
}

int
in_line(struct input *in, char **p, size_t *n)
{
	char *nl;
	size_t len;

	for (;;) {
		if (in->scan < in->head)
			in->scan = in->head;
		nl = memchr(in->buf + in->scan, '\n', in->tail - in->scan);
		if (in->skipping) {
			/* Throw away the rest of an overlong line. */
			in->consumed += (nl ? (size_t)(nl + 1 - in->buf) :
			    in->tail) - in->head;
			if (nl) {
				in->head = (size_t)(nl + 1 - in->buf);
				in->skipping = 0;
				continue;
			}
			in->head = in->tail = in->scan = 0;
		} else if (nl || (in->eof && in->tail > in->head)) {
			len = nl ? (size_t)(nl + 1 - in->buf) - in->head :
			    in->tail - in->head;
			*p = in->buf + in->head;
			*n = len;
			in->head += len;
			in->consumed += len;
			in->line++;
			/* Whole in one read, but still over the cap. */
			return len > in->cap ? IN_TOOLONG : IN_LINE;
		} else if (in->tail - in->head >= in->cap) {
			in->line++;
			in->skipping = 1;
			in->scan = in->tail;
			*n = in->tail - in->head;
			return IN_TOOLONG;
		} else
			in->scan = in->tail;
		if (in->eof)
			return IN_EOF;
		switch (fill(in)) {
		case -1:
			return IN_ERROR;
		case -2:
			return IN_QUIET;
		}
	}
}

ssize_t
in_raw(struct input *in, char **p)
{
	size_t n;

	if (in->head == in->tail) {
		if (in->eof)
			return 0;
		in->head = in->tail = in->scan = 0;
		if (fill(in) <= 0)
			return in->eof ? 0 : -1;
	}
	n = in->tail - in->head;
	*p = in->buf + in->head;
	in->head = in->tail;
	in->consumed += n;
	return (ssize_t)n;
}
