/*
 * events.c - event lines.  See events.h.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <unistd.h>

#include "events.h"
#include "io.h"
#include "jvx.h"
#include "msg.h"

const char *const drop_names[D_NREASONS] = {
	"duplicate", "late", "odd_byte", "reader_gone"
};

/* Bytes free in pipe fd, or -1 when it cannot be told (not a pipe). */
static long
pipe_room(int fd)
{
	int size, queued;

	if ((size = fcntl(fd, F_GETPIPE_SZ)) < 0 ||
	    ioctl(fd, FIONREAD, &queued) < 0)
		return -1;
	return (long)size - queued;
}

int
ev_emit(struct events *ev, jv obj, int stop)
{
	struct pollfd pfd;
	const char *s;
	long room;
	size_t n;
	jv line;
	int r = 0;

	if (ev->fd < 0 || ev->broken) {
		jv_free(obj);
		return ev->fd < 0 ? 0 : -1;
	}
	line = jv_string_append_str(jv_dump_string(obj, 0), "\n");
	s = jv_string_value(line);
	n = (size_t)jv_string_length_bytes(jv_copy(line));
	if (!ev->nonblock) {
		if (write_all(ev->fd, s, n) < 0) {
			warn_sys("unable to write events to fd %d", ev->fd);
			ev->broken = 1;
			r = -1;
		}
		jv_free(line);
		return r;
	}
	if (n > PIPE_BUF) {
		/* Bounded fields make this rare: a mark with a huge name. */
		warnx_("event-dropped track=%s bytes=%zu (longer than %d)",
		    ev->track, n, PIPE_BUF);
		ev->dropped++;
		jv_free(line);
		return -1;
	}
	room = pipe_room(ev->fd);
	if (!stop && room >= 0 && (size_t)room < n + EV_STOP_ROOM) {
		if (ev->dropped++ == 0)
			warnx_("event-dropped track=%s (pipe full: nobody "
			    "reads it)", ev->track);
		jv_free(line);
		return -1;
	}
	while ((r = (int)write(ev->fd, s, n)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && stop) {
			/* The stop is worth a short wait, never more. */
			stop = 0;
			pfd.fd = ev->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 1000) > 0)
				continue;
		}
		if (errno == EAGAIN) {
			if (ev->dropped++ == 0)
				warnx_("event-dropped track=%s (pipe full: "
				    "nobody reads it)", ev->track);
		} else {
			if (errno != EPIPE)
				warn_sys("unable to write events track=%s",
				    ev->track);
			ev->broken = 1;
		}
		jv_free(line);
		return -1;
	}
	jv_free(line);
	return 0;
}

static jv
head(const char *event, const struct call *c, int track)
{
	jv o = jv_object_set(jv_object(), jv_string("event"),
	    jv_string(event));

	o = jv_object_set(o, jv_string("interaction_id"),
	    jv_copy(c->interaction_id));
	o = jv_object_set(o, jv_string("stream_sid"), jv_copy(c->stream_sid));
	return jv_object_set(o, jv_string("track"),
	    jv_string(track_names[track]));
}

jv
ev_start(const struct call *c, int track, int codec, unsigned rate)
{
	jv o = head("start", c, track);

	o = jv_object_set(o, jv_string("tenant_id"), jv_copy(c->tenant_id));
	o = jv_object_set(o, jv_string("call_sid"), jv_copy(c->call_sid));
	o = jv_object_set(o, jv_string("protocol"), jv_string(c->p->name));
	o = jv_object_set(o, jv_string("encoding"),
	    jv_string(codec_names[codec]));
	o = jv_object_set(o, jv_string("sample_rate"), jv_number(rate));
	o = jv_object_set(o, jv_string("from"), jv_copy(c->from));
	o = jv_object_set(o, jv_string("to"), jv_copy(c->to));
	return jv_object_set(o, jv_string("custom_parameters"),
	    jv_copy(c->custom));
}

jv
ev_dtmf(const struct call *c, int track, jv digit, jv duration,
    unsigned long long ms)
{
	jv o = head("dtmf", c, track);

	o = jv_object_set(o, jv_string("digit"), digit);
	if (jv_get_kind(duration) != JV_KIND_NULL)
		o = jv_object_set(o, jv_string("duration"), duration);
	else
		jv_free(duration);
	return jv_object_set(o, jv_string("timestamp_ms"), jv_number(ms));
}

jv
ev_mark(const struct call *c, int track, jv name, unsigned long long ms)
{
	jv o = head("mark", c, track);

	o = jv_object_set(o, jv_string("name"), name);
	return jv_object_set(o, jv_string("timestamp_ms"), jv_number(ms));
}

jv
ev_stop(const struct call *c, int track, const char *reason,
    const struct trackstats *st)
{
	jv o = head("stop", c, track), d = jv_object();
	unsigned long long total = 0;
	int i;

	o = jv_object_set(o, jv_string("tenant_id"), jv_copy(c->tenant_id));
	o = jv_object_set(o, jv_string("call_sid"), jv_copy(c->call_sid));
	o = jv_object_set(o, jv_string("reason"), jv_string(reason));
	o = jv_object_set(o, jv_string("chunks"), jv_number(st->chunks));
	o = jv_object_set(o, jv_string("samples"), jv_number(st->samples));
	o = jv_object_set(o, jv_string("duration_ms"), jv_number(st->ms));
	o = jv_object_set(o, jv_string("gaps"), jv_number(st->gaps));
	o = jv_object_set(o, jv_string("gap_ms"), jv_number(st->gap_ms));
	o = jv_object_set(o, jv_string("duplicates"), jv_number(st->dups));
	o = jv_object_set(o, jv_string("late"), jv_number(st->late));
	o = jv_object_set(o, jv_string("bad"), jv_number(st->bad));
	o = jv_object_set(o, jv_string("bytes"), jv_number(st->bytes));
	for (i = 0; i < D_NREASONS; i++) {
		d = jv_object_set(d, jv_string(drop_names[i]),
		    jv_number(st->dropped[i]));
		total += st->dropped[i];
	}
	o = jv_object_set(o, jv_string("dropped_bytes"), jv_number(total));
	o = jv_object_set(o, jv_string("dropped_ms"),
	    jv_number(st->dropped_ms));
	return jv_object_set(o, jv_string("dropped"), d);
}
