/*
 * input.c - the input of exotel-replay: a per-call reader over one
 * descriptor, and the decision of what the input is (capture, WAV, raw
 * PCM16LE or raw mu-law) from its first bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"
#include "replay.h"

#define READ_CHUNK 65536

void
reader_init(struct reader *r, int fd, off_t off)
{
	struct stat st;

	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	r->off = off;
	r->limit = -1;
}

void
reader_free(struct reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Read once more into the buffer.  Bytes read, 0 at end, -1 error. */
static ssize_t
fill(struct reader *r)
{
	size_t want;
	ssize_t got;

	if (r->eof)
		return 0;
	if (r->start > 0 && r->start == r->end)
		r->start = r->end = 0;
	if (r->cap - r->end < READ_CHUNK && r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK) {
		r->cap = r->cap ? r->cap * 2 : 2 * READ_CHUNK;
		if ((r->buf = realloc(r->buf, r->cap)) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
	}
	want = r->cap - r->end;
	if (r->limit >= 0 && (off_t)want > r->limit)
		want = (size_t)r->limit;
	if (want == 0) {
		r->eof = 1;
		return 0;
	}
	do {
		if (r->seekable)
			got = pread(r->fd, r->buf + r->end, want, r->off);
		else
			got = read(r->fd, r->buf + r->end, want);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	r->off += got;
	if (r->limit >= 0)
		r->limit -= got;
	r->end += (size_t)got;
	return got;
}

ssize_t
reader_peek(struct reader *r, size_t n, const char **p)
{
	while (r->end - r->start < n)
		if (fill(r) <= 0) {
			if (!r->eof)
				return -1;
			break;
		}
	*p = r->buf ? r->buf + r->start : "";
	return (ssize_t)(r->end - r->start);
}

void
reader_consume(struct reader *r, size_t n)
{
	r->start += n;
}

int
reader_line(struct reader *r, const char **p, size_t *len)
{
	size_t scanned = 0, n;
	char *nl;

	for (;;) {
		n = r->end - r->start;
		nl = n > scanned ? memchr(r->buf + r->start + scanned, '\n',
		    n - scanned) : NULL;
		if (nl || (r->eof && n > 0)) {
			*p = r->buf + r->start;
			*len = nl ? (size_t)(nl - *p) : n;
			if (*len > LINE_MAX_BYTES)
				return -2;
			r->start += *len + (nl != NULL);
			if (*len > 0 && (*p)[*len - 1] == '\r')
				(*len)--;
			r->line++;
			return 1;
		}
		if (r->eof)
			return 0;
		if (n > LINE_MAX_BYTES)
			return -2;
		scanned = n;
		if (fill(r) < 0)
			return -1;
	}
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * A WAV header: RIFF, WAVE, then chunks until "data".  Accepts mono
 * PCM16 (format 1, or 0xfffe extensible) and mono mu-law (format 7).
 */
static void
parse_wav(struct input *in, struct reader *r)
{
	const unsigned char *p;
	const char *c;
	size_t pos = 12;
	uint32_t len;
	unsigned fmt = 0, ch = 0, bits = 0, rate = 0;
	ssize_t got;

	for (;;) {
		got = reader_peek(r, pos + 8, &c);
		if (got < 0)
			fatal_sys(EXIT_SYSTEM, "unable to read input");
		if ((size_t)got < pos + 8 || pos > 65536)
			fatal(EXIT_BADINPUT, "WAV input has no data chunk");
		p = (const unsigned char *)c + pos;
		len = le32(p + 4);
		if (!memcmp(p, "data", 4))
			break;
		if (!memcmp(p, "fmt ", 4)) {
			if (len < 16 || reader_peek(r, pos + 8 + 16, &c) <
			    (ssize_t)(pos + 24))
				fatal(EXIT_BADINPUT, "WAV fmt chunk too short");
			p = (const unsigned char *)c + pos + 8;
			fmt = p[0] | p[1] << 8;
			ch = p[2] | p[3] << 8;
			rate = le32(p + 4);
			bits = p[14] | p[15] << 8;
		}
		pos += 8 + (size_t)len + (len & 1);
	}
	if (ch != 1)
		fatal(EXIT_BADINPUT, "WAV input must be mono (channels=%u)",
		    ch);
	if ((fmt == 1 || fmt == 0xfffe) && bits == 16)
		in->format = FMT_PCM;
	else if (fmt == 7 && bits == 8)
		in->format = FMT_MULAW;
	else
		fatal(EXIT_BADINPUT, "WAV input must be PCM16 or mu-law "
		    "(format=%u bits=%u)", fmt, bits);
	if (rate < RATE_MIN || rate > RATE_MAX)
		fatal(EXIT_BADINPUT, "WAV sample rate out of range: %u", rate);
	in->rate = (int)rate;
	in->data_off = (off_t)(pos + 8);
	/* Streaming writers put 0 or ~4 GiB there: read to the end then. */
	in->data_len = len == 0 || len >= 0x7ffff000u ? -1 : (off_t)len;
}

/* Copy a pipe into an anonymous file so that several calls can pread it. */
static int
spool(int fd)
{
	char buf[READ_CHUNK];
	ssize_t n;
	int m;

	if ((m = memfd_create("exotel-replay", MFD_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to create memory file");
	while ((n = read_retry(fd, buf, sizeof buf)) > 0)
		if (write_all(m, buf, (size_t)n) < 0)
			fatal_sys(EXIT_SYSTEM, "unable to spool input");
	if (n < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read input");
	return m;
}

void
input_open(struct input *in, const char *path, int ncalls)
{
	struct reader r;
	const char *p;
	ssize_t got;
	size_t i;

	in->format = opt.format;
	in->rate = opt.rate;
	in->data_off = 0;
	in->data_len = -1;
	if (path == NULL || !strcmp(path, "-"))
		in->fd = 0;
	else if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", path);
	reader_init(&r, in->fd, 0);
	if (!r.seekable && ncalls > 1) {
		in->fd = spool(in->fd);
		reader_init(&r, in->fd, 0);
	}
	/* A live pipe is streamed as it comes: nothing may be read ahead. */
	if (!r.seekable) {
		if (in->format == FMT_AUTO || in->format == FMT_WAV)
			fatal(EXIT_USAGE, "input is a pipe: name its format "
			    "with -F ndjson, pcm or mulaw");
		reader_free(&r);
		return;
	}
	got = reader_peek(&r, 64, &p);
	if (got < 0)
		fatal_sys(EXIT_SYSTEM, "unable to read input");
	if (in->format == FMT_AUTO) {
		for (i = 0; i < (size_t)got && strchr(" \t\r\n", p[i]); i++)
			;
		if (got >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8,
		    "WAVE", 4))
			in->format = FMT_WAV;
		else if (i < (size_t)got && p[i] == '{')
			in->format = FMT_NDJSON;
		else
			in->format = FMT_PCM;
	}
	if (in->format == FMT_WAV)
		parse_wav(in, &r);
	reader_free(&r);
}
