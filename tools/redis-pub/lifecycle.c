/*
 * lifecycle.c - the call's events (start, dtmf, mark, stop) into the same
 * queue as the frames, each in its place.  See call.h.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "call.h"
#include "msg.h"
#include "pub.h"

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

/* The route of an event named name. */
static int
route_of(const char *name)
{
	static const char *const names[] = { "start", "stop", "dtmf", "mark" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return ROUTE_OTHER;
}

/* Set key to the string val (borrowed) in v (consumed) unless v has it. */
static jv
set_default(jv v, const char *key, const char *val)
{
	jv old;

	if (val == NULL)
		return v;
	old = json_get(v, key);
	if (jv_get_kind(old) == JV_KIND_NULL ||
	    jv_get_kind(old) == JV_KIND_INVALID)
		v = jv_object_set(v, jv_string(key), jv_string(val));
	jv_free(old);
	return v;
}

/*
 * Queue event v (consumed) for its route (none: dropped quietly), in
 * line with the audio.
 */
static void
queue_event(struct call *c, jv v, int route)
{
	struct entry *e;
	jv s;

	if (c->p.resolved && c->p.route_key[route] == NULL) {
		jv_free(v);
		return;
	}
	if (!c->p.resolved && c->route_tpl[route] == NULL) {
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
	if (c->id && !(route == ROUTE_STOP && c->layout == LAYOUT_RTAAFIN))
		v = jv_object_set(v, jv_string("interaction_id"),
		    jv_string(c->id));
	if (c->layout != LAYOUT_RTAAFIN || route != ROUTE_STOP) {
		v = set_default(v, "stream_sid", c->stream_sid);
		v = set_default(v, "track", c->track);
	}
	s = jv_dump_string(v, 0);		/* consumes v */
	e = q_new(ENT_EVENT, strlen(jv_string_value(s)));
	e->route = route;
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
	queue_event(c, v, ROUTE_START);
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

	while (i < c->nheld && (all || c->held[i].t_ms <= audio_ms(c))) {
		queue_event(c, c->held[i].v, c->held[i].route);
		i++;
	}
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
hold_event(struct call *c, jv v, int route)
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
		queue_event(c, v, route);
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
	c->held[c->nheld].route = route;
	c->held[c->nheld++].t_ms = (uint64_t)ms;
}

/* A string member of v (borrowed) as a C string valid while v is, or NULL. */
static const char *
str_of(jv v)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
}

/* An event line from -E; consumes v (an object). */
void
on_event(jv v, void *arg)
{
	struct call *c = arg;
	struct names n;
	jv name, id, tenant, sid, track, csid;

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
		csid = str_member(v, "call_sid");
		if (c->call_sid == NULL && str_of(csid) && *str_of(csid) &&
		    (c->call_sid = strdup(str_of(csid))) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
		jv_free(csid);
		if (!c->p.resolved) {
			id = str_member(v, "interaction_id");
			tenant = str_member(v, "tenant_id");
			sid = str_member(v, "stream_sid");
			track = str_member(v, "track");
			n = (struct names){ str_of(id), str_of(tenant),
			    str_of(sid), str_of(track) };
			resolve(c, &n);
			jv_free(id);
			jv_free(tenant);
			jv_free(sid);
			jv_free(track);
		}
		v = jv_object_set(v, jv_string("tenant_id"),
		    jv_string(c->tenant));
		queue_event(c, v, ROUTE_START);
	} else
		hold_event(c, v, route_of(jv_string_value(name)));
	jv_free(name);
}

/* A number member of v (borrowed), or -1. */
static double
num_member(jv v, const char *key)
{
	jv n = json_get(v, key);
	double d = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : -1;

	jv_free(n);
	return d;
}

/* The reasons counted in ingest_calls_ended_total; anything else is "other". */
static const char *
reason_label(const char *r)
{
	static const char *const known[] = { "callended", "stopped",
	    "disconnected", "closed", NULL };
	int i;

	for (i = 0; r && known[i]; i++)
		if (strcmp(r, known[i]) == 0)
			return known[i];
	return "other";
}

/* The stop the original service wrote to call_end, exactly those fields. */
static jv
rtaafin_stop(struct call *c, jv dec)
{
	jv v, reason;

	reason = str_member(dec, "reason");
	v = jv_object_set(jv_object(), jv_string("interaction_id"),
	    jv_string(c->id));
	v = jv_object_set(v, jv_string("tenant_id"), jv_string(c->tenant));
	v = jv_object_set(v, jv_string("call_sid"), jv_string(c->call_sid ?
	    c->call_sid : c->id));
	v = jv_object_set(v, jv_string("stream_sid"), c->stream_sid ?
	    jv_string(c->stream_sid) : jv_null());
	v = jv_object_set(v, jv_string("reason"), reason);
	v = jv_object_set(v, jv_string("timestamp_ms"),
	    jv_number((double)wall_ms()));
	jv_free(dec);
	return v;
}

/*
 * Input is over, every frame answered: queue the stop event with our
 * totals, then (with a claim) the seq to go on from and the release.
 */
void
finish(struct call *c)
{
	struct pub *p = &c->p;
	uint64_t expect, lost = 0, fs = c->frame_bytes / 2, dropped;
	double in;
	struct entry *e;
	jv v, r;

	if (!p->resolved)
		resolve(c, NULL);
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
	/*
	 * The decoder counts the samples it wrote to us (at its rate): what
	 * never arrived died in a stage between us (resample killed).
	 */
	if ((in = num_member(v, "samples")) >= 0 && c->in_rate) {
		expect = ((uint64_t)in * p->rate + c->in_rate / 2) / c->in_rate;
		if (expect > c->samples)
			lost = expect - c->samples;
	}
	dropped = p->q.dropped + p->rejected_frames + (lost + fs - 1) / fs;
	r = str_member(v, "reason");
	c->end_reason = reason_label(jv_get_kind(r) == JV_KIND_STRING ?
	    jv_string_value(r) : NULL);
	jv_free(r);
	if (c->layout == LAYOUT_RTAAFIN)
		v = rtaafin_stop(c, v);
	else {
		/*
		 * "dropped" is ours, in frames; the decoder's own (an object
		 * of reasons) is kept beside it.
		 */
		r = json_get(v, "dropped");
		if (jv_get_kind(r) == JV_KIND_OBJECT)
			v = jv_object_set(v, jv_string("decode_dropped"), r);
		else
			jv_free(r);
		v = jv_object_set(v, jv_string("frames"),
		    jv_number((double)c->seq));
		v = jv_object_set(v, jv_string("duration_ms"),
		    jv_number((double)(c->samples * 1000 / p->rate)));
		v = jv_object_set(v, jv_string("dropped"),
		    jv_number((double)dropped));
		if (lost)
			v = jv_object_set(v, jv_string("lost_ms"),
			    jv_number((double)(lost * 1000 / p->rate)));
		if (c->oneshot)
			v = jv_object_set(v, jv_string("failed_stage"),
			    jv_string("redis-pub"));
	}
	if (lost)
		warnx_("audio lost before redis-pub: lost_ms=%llu (a stage "
		    "upstream ended early)",
		    (unsigned long long)(lost * 1000 / p->rate));
	queue_event(c, v, ROUTE_STOP);
	if (p->claim == CLAIM_HELD || p->claim == CLAIM_WANT ||
	    p->claim == CLAIM_SENT) {
		e = q_new(ENT_SEQ, 0);
		e->seq = c->seq;
		q_push(&p->q, e);
		q_push(&p->q, q_new(ENT_RELEASE, 0));
	} else if (c->release_dead)
		/* Its seq stays as it reserved it: a hole, never a repeat. */
		q_push(&p->q, q_new(ENT_RELEASE, 0));
	c->finished = 1;
}
