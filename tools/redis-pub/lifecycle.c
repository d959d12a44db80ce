/*
 * lifecycle.c - the call's events (start, dtmf, mark, stop) into the same
 * queue as the frames, each in its place.  See call.h.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "call.h"
#include "msg.h"

/* A string member of obj (borrowed) as an owned jv, or jv_null(). */
static jv
str_member(jv obj, const char *key)
{
	jv v = json_get(obj, key);

	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	jv_free(v);
	return jv_null();
}

/* Queue event v (consumed) for the events channel, in line with the audio. */
static void
queue_event(struct call *c, jv v)
{
	struct entry *e;
	jv s;

	if (c->events_tpl == NULL) {
		jv_free(v);
		return;
	}
	/* Events are few; a flood of them (dtmf) must not grow without bound. */
	if (c->p.q.entries - c->p.q.frames >= EVENT_BACKLOG_MAX && !c->in_eof) {
		if (c->events_dropped++ == 0)
			warnx_("events backlog full (%d): dropping new events",
			    EVENT_BACKLOG_MAX);
		jv_free(v);
		return;
	}
	if (c->id)
		v = jv_object_set(v, jv_string("interaction_id"),
		    jv_string(c->id));
	s = jv_dump_string(v, 0);		/* consumes v */
	e = q_new(ENT_EVENT, strlen(jv_string_value(s)));
	memcpy(e->data, jv_string_value(s), e->len);
	jv_free(s);
	q_push(&c->p.q, e);
}

/* Without -E, consumers still learn the call began, and how its audio is. */
void
start_event(struct call *c)
{
	jv v;

	v = jv_object_set(jv_object(), jv_string("event"), jv_string("start"));
	v = jv_object_set(v, jv_string("interaction_id"), jv_string(c->id));
	v = jv_object_set(v, jv_string("tenant_id"), jv_string(c->tenant));
	v = jv_object_set(v, jv_string("encoding"), jv_string("pcm16"));
	v = jv_object_set(v, jv_string("sample_rate"),
	    jv_number(c->p.rate));
	queue_event(c, v);
}

uint64_t
audio_ms(const struct call *c)
{
	return c->samples * 1000 / c->p.rate;
}

/*
 * Queue the held events whose time the audio has reached (all of them
 * when input is over), in the order they came.
 */
void
release_held(struct call *c, int all)
{
	size_t i = 0;

	while (i < c->nheld && (all || c->held[i].t_ms <= audio_ms(c)))
		queue_event(c, c->held[i++].v);
	if (i == 0)
		return;
	memmove(c->held, c->held + i, (c->nheld - i) * sizeof *c->held);
	c->nheld -= i;
}

/*
 * A dtmf or mark (v, consumed) carries timestamp_ms on the call's clock,
 * the clock of our samples (the decoder fills gaps).  The resampler
 * between us delays the audio a little, so the event is held until the
 * audio reaches its time: then it lands between the right frames.
 */
static void
hold_event(struct call *c, jv v)
{
	jv t = json_get(v, "timestamp_ms");
	double ms = jv_get_kind(t) == JV_KIND_NUMBER ? jv_number_value(t) : -1;
	uint64_t now = audio_ms(c);
	struct held *h;
	size_t cap;

	jv_free(t);
	if (!(ms >= 0) || ms > (double)(now + EVENT_HOLD_MAX_MS))
		ms = 0;		/* no usable time: behind those held, no longer */
	/* Input over, or a flood: no audio will come to order them by. */
	if ((c->nheld == 0 && (uint64_t)ms <= now) || c->in_eof ||
	    c->nheld >= EVENT_BACKLOG_MAX) {
		queue_event(c, v);
		return;
	}
	if (c->nheld == c->held_cap) {
		cap = c->held_cap ? c->held_cap * 2 : 8;
		if ((h = realloc(c->held, cap * sizeof *h)) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
		c->held = h;
		c->held_cap = cap;
	}
	c->held[c->nheld].v = v;
	c->held[c->nheld++].t_ms = (uint64_t)ms;
}

/* An event line from -E; consumes v (an object). */
void
on_event(jv v, void *arg)
{
	struct call *c = arg;
	jv name, id, tenant;

	name = str_member(v, "event");
	if (jv_get_kind(name) != JV_KIND_STRING) {
		warnx_("events: line %lu: no \"event\" name, skipped",
		    c->ev.lineno);
		jv_free(name);
		jv_free(v);
		return;
	}
	if (strcmp(jv_string_value(name), "stop") == 0) {
		/* Published after the last frame, with our totals. */
		if (c->have_stop)
			jv_free(c->stop);
		c->stop = v;
		c->have_stop = 1;
	} else if (strcmp(jv_string_value(name), "start") == 0) {
		if (!c->p.resolved) {
			id = str_member(v, "interaction_id");
			tenant = str_member(v, "tenant_id");
			resolve(c, jv_get_kind(id) == JV_KIND_STRING ?
			    jv_string_value(id) : NULL,
			    jv_get_kind(tenant) == JV_KIND_STRING ?
			    jv_string_value(tenant) : NULL);
			jv_free(id);
			jv_free(tenant);
		}
		v = jv_object_set(v, jv_string("tenant_id"),
		    jv_string(c->tenant));
		queue_event(c, v);
	} else
		hold_event(c, v);
	jv_free(name);
}


/* Input is over, every frame answered: queue the stop event with our totals. */
void
finish(struct call *c)
{
	struct pub *p = &c->p;
	jv v;

	if (!p->resolved)
		resolve(c, NULL, NULL);
	if (c->have_stop) {
		v = c->stop;
		c->have_stop = 0;
	} else {
		v = jv_object_set(jv_object(), jv_string("event"),
		    jv_string("stop"));
		v = jv_object_set(v, jv_string("interaction_id"),
		    jv_string(c->id));
		v = jv_object_set(v, jv_string("reason"), jv_string(
		    c->use_events ? "disconnected" : "stopped"));
	}
	v = jv_object_set(v, jv_string("frames"), jv_number((double)c->seq));
	v = jv_object_set(v, jv_string("duration_ms"),
	    jv_number((double)(c->samples * 1000 / p->rate)));
	v = jv_object_set(v, jv_string("dropped"),
	    jv_number((double)(p->q.dropped + p->rejected_frames)));
	queue_event(c, v);
	c->finished = 1;
}
