/*
 * events.c - event lines.  See events.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "events.h"
#include "io.h"
#include "msg.h"

void
ev_emit(struct events *ev, jv obj)
{
	jv line;
	const char *s;
	size_t n;

	if (ev->fd < 0 || ev->broken) {
		jv_free(obj);
		return;
	}
	line = jv_string_append_str(jv_dump_string(obj, 0), "\n");
	s = jv_string_value(line);
	n = (size_t)jv_string_length_bytes(jv_copy(line));
	if (ev->nonblock && n > PIPE_BUF) {
		/*
		 * Only writes up to PIPE_BUF are all-or-nothing on a pipe: a
		 * longer line could be cut by EAGAIN and glue itself to the
		 * next one.  Such a line (a mark with a huge name) is dropped.
		 */
		warnx_("event-dropped fd=%d bytes=%zu (longer than %d)",
		    ev->fd, n, PIPE_BUF);
		ev->dropped++;
	} else if (write_all(ev->fd, s, n) < 0) {
		if (errno == EAGAIN && ev->nonblock) {
			/*
			 * A reader that lets 64 KiB of events pile up is not
			 * reading them; blocking would stall the audio.  The
			 * first drop is logged, the count at the end.
			 */
			if (ev->dropped++ == 0)
				warnx_("event-dropped fd=%d (pipe full)",
				    ev->fd);
		} else {
			warn_sys("unable to write events to fd %d", ev->fd);
			ev->broken = 1;
		}
	}
	jv_free(line);
}

static jv
with_id(const char *event, const struct call *c)
{
	return jv_object_set(jv_object_set(jv_object(), jv_string("event"),
	    jv_string(event)), jv_string("interaction_id"),
	    jv_copy(c->interaction_id));
}

jv
ev_start(const struct call *c)
{
	jv o = with_id("start", c);

	o = jv_object_set(o, jv_string("tenant_id"), jv_copy(c->tenant_id));
	o = jv_object_set(o, jv_string("stream_sid"), jv_copy(c->stream_sid));
	o = jv_object_set(o, jv_string("call_sid"), jv_copy(c->call_sid));
	o = jv_object_set(o, jv_string("protocol"),
	    jv_string(protocol_names[c->protocol]));
	o = jv_object_set(o, jv_string("encoding"),
	    jv_string(codec_names[c->codec]));
	o = jv_object_set(o, jv_string("sample_rate"), jv_number(c->rate));
	o = jv_object_set(o, jv_string("from"), jv_copy(c->from));
	o = jv_object_set(o, jv_string("to"), jv_copy(c->to));
	return jv_object_set(o, jv_string("custom_parameters"),
	    jv_copy(c->custom));
}

jv
ev_dtmf(const struct call *c, jv digit, unsigned long long ms)
{
	jv o = with_id("dtmf", c);

	o = jv_object_set(o, jv_string("digit"), digit);
	return jv_object_set(o, jv_string("timestamp_ms"), jv_number(ms));
}

jv
ev_mark(const struct call *c, jv name, unsigned long long ms)
{
	jv o = with_id("mark", c);

	o = jv_object_set(o, jv_string("name"), name);
	return jv_object_set(o, jv_string("timestamp_ms"), jv_number(ms));
}

jv
ev_stop(const struct call *c, const char *reason, const struct timeline *tl)
{
	jv o = with_id("stop", c);

	o = jv_object_set(o, jv_string("reason"), jv_string(reason));
	o = jv_object_set(o, jv_string("chunks"), jv_number(tl->chunks));
	o = jv_object_set(o, jv_string("duration_ms"), jv_number(tl_ms(tl)));
	o = jv_object_set(o, jv_string("gaps"), jv_number(tl->gaps));
	o = jv_object_set(o, jv_string("duplicates"), jv_number(tl->dups));
	return jv_object_set(o, jv_string("late"), jv_number(tl->late));
}
