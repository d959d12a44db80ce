/*
 * event.c - event lines from -E FD.  See event.h.
 */
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "io.h"
#include "logsafe.h"
#include "msg.h"

void
ev_init(struct evreader *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

/* One line (borrowed, without its newline). */
static void
line(struct evreader *r, const char *s, size_t n,
    void (*fn)(jv, void *), void *arg)
{
	char safe[LOGSAFE_SIZE(200)];
	jv v, m;

	r->lineno++;
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	v = jv_parse_sized(s, (int)n);		/* returns an owned jv */
	if (!jv_is_valid(v)) {
		m = jv_invalid_get_msg(v);	/* consumes v */
		/* jq quotes the line in its message: escape it. */
		warnx_("events: line %lu: not JSON: %s", r->lineno,
		    logsafe_line(jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "?", safe, sizeof safe));
		jv_free(m);
		return;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		warnx_("events: line %lu: not a JSON object", r->lineno);
		jv_free(v);
		return;
	}
	fn(v, arg);				/* consumes v */
}

void
ev_read(struct evreader *r, void (*fn)(jv, void *), void *arg)
{
	char chunk[16384], *nl;
	size_t start, n;
	ssize_t got;

	if (r->fd < 0)
		return;
	got = read_retry(r->fd, chunk, sizeof chunk);
	if (got <= 0) {
		if (got < 0)
			warn_sys("events: unable to read descriptor %d", r->fd);
		if (r->line.len && !r->skipping)
			line(r, r->line.p, r->line.len, fn, arg);
		r->line.len = 0;
		r->fd = -1;
		return;
	}
	for (start = 0; start < (size_t)got; start += n + 1) {
		nl = memchr(chunk + start, '\n', (size_t)got - start);
		n = nl ? (size_t)(nl - chunk) - start : (size_t)got - start;
		if (!r->skipping && r->line.len + n > EVENT_MAX) {
			warnx_("events: line %lu: longer than %d bytes, skipped",
			    r->lineno + 1, EVENT_MAX);
			r->skipping = 1;
			r->line.len = 0;
		}
		if (!r->skipping)
			buf_add(&r->line, chunk + start, n);
		if (nl == NULL)
			break;
		if (r->skipping) {
			r->lineno++;
			r->skipping = 0;
		} else
			line(r, r->line.p, r->line.len, fn, arg);
		r->line.len = 0;
	}
}

void
ev_free(struct evreader *r)
{
	buf_free(&r->line);
}
