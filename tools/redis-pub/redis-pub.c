/*
 * redis-pub - publish a call's audio to Redis as it arrives.
 *
 * Reads PCM16LE mono at -r RATE on stdin, cuts it into frames of -d
 * milliseconds and publishes each frame the moment its last sample
 * arrives: PUBLISH to a channel (default audio:{interaction_id}),
 * SPUBLISH, or XADD to a stream, as the JSON audio frame of DESIGN.md or
 * as raw PCM.  Reads the call's events (start, dtmf, mark, stop) from
 * -E FD and publishes them in order with the audio on the events channel
 * (default calls:events): start before the first frame, stop after the
 * last with our totals.  Writes nothing on stdout; logs on stderr.
 *
 * Redis going away never blocks the pipeline: stdin is read all the
 * time, frames wait in a bounded backlog (oldest dropped and counted)
 * while the connection comes back, and go out in order when it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "io.h"
#include "msg.h"
#include "num.h"
#include "pub.h"
#include "url.h"

#define USAGE "redis-pub [-v] [-B seconds] [-c channel] [-d ms] [-E fd] " \
	"[-e events-channel] [-f json | raw] [-i interaction-id] [-M maxlen] " \
	"[-m publish | spublish | xadd] [-r rate] [-T timeout-ms] " \
	"[-t tenant-id] [-u url] [-W seconds]"

/* Events waiting for Redis at most (the stop event always gets in). */
#define EVENT_BACKLOG_MAX 1000

/*
 * An event stamped further ahead of the audio than this is not believed
 * (a clock of another kind) and goes out at once.
 */
#define EVENT_HOLD_MAX_MS 2000

/* After stdin ends, how long the decoder's stop event is waited for. */
#define EVENT_GRACE_MS 2000

struct call {
	struct pub p;
	struct evreader ev;
	int use_events;		/* -E given */
	const char *id_opt;	/* -i or INTERACTION_ID; borrowed */
	const char *tenant_opt;	/* -t or TENANT_ID; borrowed */
	const char *chan_tpl;	/* borrowed */
	const char *events_tpl;	/* borrowed; NULL: events not published */
	char *id, *tenant;	/* owned, once resolved */
	jv stop;		/* the decoder's stop event; owned when have_stop */
	int have_stop;
	unsigned long events_dropped;
	struct held {		/* events waiting for the audio up to their time */
		jv v;		/* owned */
		uint64_t t_ms;
	} *held;
	size_t nheld, held_cap;
	unsigned long drop_warned;	/* connects + 1 when the drop was logged */
	struct entry *cur;	/* the frame being filled; owned */
	size_t frame_bytes, cur_len;
	uint64_t seq, samples;
	int in_eof, odd_byte, read_error;
	int finished;		/* stop queued: nothing more will be added */
	int64_t start_ms, eof_ms;
	int wait_s;
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random (version 4) UUID, for a call nobody named.  Returns an owned string. */
static char *
uuid4(void)
{
	unsigned char r[16];
	char *s;

	if (getrandom(r, sizeof r, 0) != sizeof r)
		fatal_sys(EXIT_SYSTEM, "unable to get random bytes");
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	if ((s = malloc(37)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	snprintf(s, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return s;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	return d;
}

/*
 * Fix the call's identity: options and environment first, then what the
 * start event said (id_ev, tenant_ev borrowed, may be NULL), then a
 * generated id and tenant "default".  Until then nothing is sent.
 */
static void
resolve(struct call *c, const char *id_ev, const char *tenant_ev)
{
	struct pub *p = &c->p;

	if (c->id_opt)
		c->id = xstrdup(c->id_opt);
	else if (id_ev && *id_ev)
		c->id = xstrdup(id_ev);
	else {
		c->id = uuid4();
		info("no interaction id given: generated interaction=%s", c->id);
	}
	c->tenant = xstrdup(c->tenant_opt ? c->tenant_opt :
	    tenant_ev && *tenant_ev ? tenant_ev : "default");
	p->audio_key = tpl_expand(c->chan_tpl, c->id, c->tenant);
	p->events_key = c->events_tpl ?
	    tpl_expand(c->events_tpl, c->id, c->tenant) : NULL;
	frame_head(&p->head, c->id, c->tenant);
	p->resolved = 1;
	debug("publishing interaction=%s tenant=%s audio=%s events=%s",
	    c->id, c->tenant, p->audio_key, p->events_key ? p->events_key : "-");
}

/* A string member of obj (borrowed) as an owned jv, or jv_null(). */
static jv
str_member(jv obj, const char *key)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));

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
static void
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

static uint64_t
audio_ms(const struct call *c)
{
	return c->samples * 1000 / c->p.rate;
}

/*
 * Queue the held events whose time the audio has reached (all of them
 * when input is over), in the order they came.
 */
static void
release_held(struct call *c, int all)
{
	size_t i = 0;

	while (i < c->nheld && (all || c->held[i].t_ms <= audio_ms(c)))
		queue_event(c, c->held[i++].v);
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
	jv t = jv_object_get(jv_copy(v), jv_string("timestamp_ms"));
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
static void
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

/* Queue the frame being filled, len bytes of it. */
static void
push_frame(struct call *c, size_t len)
{
	struct entry *e = c->cur;

	e->len = len;
	e->seq = c->seq++;
	e->ts_ms = c->samples * 1000 / c->p.rate;
	c->samples += len / 2;
	c->cur = NULL;
	c->cur_len = 0;
	/* Once per outage (per connection made), the totals say the rest. */
	if (q_push(&c->p.q, e) && c->drop_warned != c->p.cn.connects + 1) {
		c->drop_warned = c->p.cn.connects + 1;
		warnx_("backlog full: dropping the oldest frames frames=%zu",
		    c->p.q.max_frames);
	}
	if (c->nheld)
		release_held(c, 0);
}

/* Cut n bytes of PCM (borrowed) into frames; each is queued when complete. */
static void
add_pcm(struct call *c, const unsigned char *s, size_t n)
{
	size_t take;

	while (n) {
		if (c->cur == NULL)
			c->cur = q_new(ENT_FRAME, c->frame_bytes);
		take = c->frame_bytes - c->cur_len;
		if (take > n)
			take = n;
		memcpy(c->cur->data + c->cur_len, s, take);
		c->cur_len += take;
		s += take;
		n -= take;
		if (c->cur_len == c->frame_bytes)
			push_frame(c, c->frame_bytes);
	}
}

/* Input ended (EOF, read error or signal): queue the last partial frame. */
static void
end_input(struct call *c, int64_t now)
{
	c->in_eof = 1;
	c->eof_ms = now;
	if (c->cur_len & 1) {
		c->odd_byte = 1;
		warnx_("input ended in the middle of a sample: last byte ignored");
	}
	if (c->cur_len >= 2)
		push_frame(c, c->cur_len & ~(size_t)1);
	else if (c->cur) {
		free(c->cur);
		c->cur = NULL;
		c->cur_len = 0;
	}
	release_held(c, 1);
	info("end of input frames=%llu duration_ms=%llu unacknowledged=%zu",
	    (unsigned long long)c->seq,
	    (unsigned long long)(c->samples * 1000 / c->p.rate), c->p.q.frames);
}

/*
 * A full backlog while Redis answers (or while the first connection is
 * being made) means input comes faster than real time, e.g. a capture
 * replayed from a file: wait for Redis rather than drop.  A stalled
 * server holds us at most the reply or connect timeout; after a failure
 * input is read again, dropping the oldest, until Redis is back.
 */
static int
may_push_back(const struct call *c)
{
	const struct conn *cn = &c->p.cn;

	return c->p.resolved && (cn->state == CONN_READY ||
	    (cn->state != CONN_DOWN && cn->failures == 0));
}

static int
pushing_back(const struct call *c)
{
	return may_push_back(c) && c->p.q.frames >= c->p.q.max_frames;
}

static void
read_stdin(struct call *c, int64_t now)
{
	static unsigned char chunk[65536];
	size_t want, room;
	ssize_t n;

	want = sizeof chunk;
	if (may_push_back(c)) {		/* read no more than the backlog holds */
		room = (c->p.q.max_frames - c->p.q.frames) * c->frame_bytes -
		    c->cur_len;
		if (room < want)
			want = room;
	}
	n = read_retry(0, chunk, want);
	if (n > 0) {
		add_pcm(c, chunk, (size_t)n);
		return;
	}
	if (n < 0) {
		warn_sys("unable to read stdin");
		c->read_error = 1;
	}
	end_input(c, now);
}

/* Input is over, every frame answered: queue the stop event with our totals. */
static void
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

/* The call's totals, one line: "done ..." at the end, "gave up: ..." before a fatal exit. */
static void
report(const struct call *c, int gave_up)
{
	const struct pub *p = &c->p;
	char totals[512];

	snprintf(totals, sizeof totals, "interaction=%s frames=%llu "
	    "delivered=%llu duration_ms=%llu dropped=%llu rejected=%llu "
	    "undelivered=%zu connects=%lu", c->id ? c->id : "-",
	    (unsigned long long)c->seq, (unsigned long long)p->delivered,
	    (unsigned long long)(c->samples * 1000 / p->rate),
	    (unsigned long long)p->q.dropped, (unsigned long long)p->rejected,
	    p->q.frames, p->cn.connects);
	if (gave_up)
		warnx_("gave up: %s", totals);
	else
		info("done %s", totals);
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/*
 * What the loop waits for next: the give-up and grace deadlines.  Returns
 * -1 for none, -2 when all is delivered.  Exits when it is time to give up.
 */
static int64_t
housekeeping(struct call *c, int64_t now)
{
	struct pub *p = &c->p;
	int64_t dl = -1, wait_ms = (int64_t)c->wait_s * 1000;

	conn_tick(&p->cn, now);
	if (p->cn.state != CONN_READY)
		pub_broken(p);
	pub_check_timeout(p, now);
	if (!p->cn.ever_ready) {
		if (now - c->start_ms >= wait_ms) {
			report(c, 1);
			fatal(EXIT_SYSTEM, "redis unreachable for %d s addr=%s",
			    c->wait_s, url_where(&p->cn.at));
		}
		dl = c->start_ms + wait_ms;
	}
	if (c->in_eof && !c->finished) {
		/*
		 * The stop goes out once the decoder's stop came (or cannot
		 * come) and every frame has its reply, so its totals count
		 * what Redis refused too.
		 */
		if (c->ev.fd >= 0 && !c->have_stop &&
		    now < c->eof_ms + EVENT_GRACE_MS)
			dl = earliest(dl, c->eof_ms + EVENT_GRACE_MS);
		else if (p->q.frames == 0)
			finish(c);
	}
	if (c->finished && p->q.entries == 0)
		return -2;
	if (c->in_eof) {
		if (now >= c->eof_ms + EVENT_GRACE_MS + wait_ms) {
			report(c, 1);
			fatal(EXIT_SYSTEM, "end of input: messages still "
			    "undelivered after %d s addr=%s", c->wait_s,
			    url_where(&p->cn.at));
		}
		dl = earliest(dl, c->eof_ms + EVENT_GRACE_MS + wait_ms);
	}
	return dl;
}

static void
loop(struct call *c, const sigset_t *waitmask)
{
	struct pollfd pfd[3];
	struct timespec ts, *tsp;
	int64_t now, dl;
	int n, iev, iin, ire;
	short want;

	for (;;) {
		now = now_ms();
		if (got_signal && !c->in_eof) {
			info("signal %d: publishing what is left", (int)got_signal);
			c->ev.fd = -1;	/* the events that came are enough */
			end_input(c, now);
		}
		if ((dl = housekeeping(c, now)) == -2)
			return;
		pub_pump(&c->p, now);
		/* After the pump: what it just sent starts a reply deadline. */
		dl = earliest(dl, pub_deadline(&c->p));
		n = 0;
		iev = iin = ire = -1;
		if (c->ev.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = c->ev.fd, .events = POLLIN };
			iev = n++;
		}
		if (!c->in_eof && !pushing_back(c)) {
			pfd[n] = (struct pollfd){ .fd = 0, .events = POLLIN };
			iin = n++;
		}
		if ((pfd[n].fd = conn_pollfd(&c->p.cn, &want)) >= 0) {
			/*
			 * A live call's replies are read when its next frame
			 * wakes us: one wake-up a frame, not two.  The reply
			 * deadline wakes us if no frame comes; POLLRDHUP if
			 * Redis goes away.
			 */
			if (iin >= 0 && c->p.cn.state == CONN_READY &&
			    c->p.q.inflight < PUB_WINDOW / 2)
				want = (short)((want & ~POLLIN) | POLLRDHUP);
			pfd[n].events = want;
			pfd[n].revents = 0;
			ire = n++;
		}
		tsp = NULL;
		if (dl >= 0) {
			dl = dl > now ? dl - now : 0;
			ts.tv_sec = dl / 1000;
			ts.tv_nsec = (dl % 1000) * 1000000;
			tsp = &ts;
		}
		if (ppoll(pfd, (nfds_t)n, tsp, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fatal_sys(EXIT_SYSTEM, "poll");
		}
		now = now_ms();
		/* Events first: a start that is there goes before the audio. */
		if (iev >= 0 && pfd[iev].revents) {
			ev_read(&c->ev, on_event, c);
			/* Events ended without a start: nobody will name the call. */
			if (c->ev.fd < 0 && !c->p.resolved)
				resolve(c, NULL, NULL);
		}
		if (iin >= 0 && pfd[iin].revents)
			read_stdin(c, now);
		if (ire >= 0 && (pfd[ire].revents || !(pfd[ire].events & POLLIN))) {
			/* A read that finds nothing costs less than a wake-up. */
			if (conn_io(&c->p.cn, pfd[ire].revents |
			    (c->p.cn.state == CONN_READY ? POLLIN : 0), now) < 0)
				pub_broken(&c->p);
			pub_replies(&c->p, now);
		}
	}
}

/* An option's number, else its environment variable's (if env), else def. */
static long long
setting(const char *opt, const char *optval, const char *env, long long min,
    long long max, long long def)
{
	const char *v;

	if (optval)
		return opt_int(opt, optval, min, max);
	if (env && (v = env_get(env)) != NULL)
		return opt_int(env, v, min, max);
	return def;
}

/* An option's word, else its environment variable's, else def; borrowed. */
static const char *
word(const char *optval, const char *env, const char *def)
{
	const char *v;

	if (optval)
		return optval;
	return (v = env_get(env)) != NULL ? v : def;
}

/* The index of s in the NULL-ended list, or a usage error naming what. */
static int
choice(const char *what, const char *s, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return i;
	fatal(EXIT_USAGE, "invalid %s: %s", what, s);
}

int
main(int argc, char *argv[])
{
	static const char *const modes[] = { "publish", "spublish", "xadd", NULL };
	static const char *const formats[] = { "json", "raw", NULL };
	const char *o_B = NULL, *o_d = NULL, *o_E = NULL, *o_M = NULL;
	const char *o_r = NULL, *o_T = NULL, *o_W = NULL, *o_c = NULL;
	const char *o_e = NULL, *o_f = NULL, *o_m = NULL, *o_u = NULL;
	const char *urls, *why;
	struct redis_url url;
	struct sigaction sa;
	struct call c;
	sigset_t block, waitmask;
	long long ms, backlog_s;
	int ch, status;

	msg_init(argv[0]);
	memset(&c, 0, sizeof c);
	while ((ch = getopt(argc, argv, "B:c:d:E:e:f:hi:M:m:r:T:t:u:vW:")) != -1) {
		switch (ch) {
		case 'B': o_B = optarg; break;
		case 'c': o_c = optarg; break;
		case 'd': o_d = optarg; break;
		case 'E': o_E = optarg; break;
		case 'e': o_e = optarg; break;
		case 'f': o_f = optarg; break;
		case 'i': c.id_opt = optarg; break;
		case 'M': o_M = optarg; break;
		case 'm': o_m = optarg; break;
		case 'r': o_r = optarg; break;
		case 'T': o_T = optarg; break;
		case 't': c.tenant_opt = optarg; break;
		case 'u': o_u = optarg; break;
		case 'v': msg_verbosity = 2; break;
		case 'W': o_W = optarg; break;
		default: usage_exit(USAGE);
		}
	}
	if (optind != argc)
		usage_exit(USAGE);

	c.p.rate = (unsigned)setting("-r", o_r, NULL, RATE_MIN,
	    RATE_MAX, 24000);
	ms = setting("-d", o_d, "FRAME_MS", 10, 1000, 20);
	if (c.p.rate * ms % 1000)
		fatal(EXIT_USAGE, "frames of %lld ms at %u Hz are not whole "
		    "samples", ms, c.p.rate);
	c.frame_bytes = (size_t)(c.p.rate * ms / 1000 * 2);
	backlog_s = setting("-B", o_B, "BACKLOG_SECONDS", 1, 3600, 10);
	c.wait_s = (int)setting("-W", o_W, "REDIS_WAIT_SECONDS", 1, 3600, 10);
	c.p.maxlen = setting("-M", o_M, "STREAM_MAXLEN", 1, 1000000000, 10000);
	c.p.mode = choice("-m", word(o_m, "REDIS_MODE", "publish"), modes);
	c.p.format = choice("-f", word(o_f, "AUDIO_FORMAT", "json"), formats);
	c.chan_tpl = word(o_c, "AUDIO_CHANNEL", "audio:{interaction_id}");
	c.events_tpl = word(o_e, "EVENTS_CHANNEL", "calls:events");
	if (strcmp(c.events_tpl, "-") == 0)
		c.events_tpl = NULL;
	if (c.id_opt == NULL)
		c.id_opt = env_get("INTERACTION_ID");
	if (c.tenant_opt == NULL)
		c.tenant_opt = env_get("TENANT_ID");
	urls = word(o_u, "REDIS_URL", "redis://127.0.0.1:6379");
	if (url_parse(urls, &url, &why) < 0)
		fatal(EXIT_USAGE, "invalid redis url: %s", why);
	ev_init(&c.ev, -1);
	if (o_E) {
		c.ev.fd = opt_int("-E", o_E, 3, 65535);
		if (fcntl(c.ev.fd, F_GETFD) < 0)
			fatal(EXIT_USAGE, "-E %d: descriptor not open", c.ev.fd);
		c.use_events = 1;
	}

	c.start_ms = now_ms();
	q_init(&c.p.q, (size_t)(backlog_s * 1000 / ms));
	conn_init(&c.p.cn, &url, (int)setting("-T", o_T, "REDIS_TIMEOUT_MS",
	    50, 600000, 2000), c.start_ms);
	/* With -E and no identity, the start event names the call. */
	if ((c.id_opt && c.tenant_opt) || !c.use_events)
		resolve(&c, NULL, NULL);
	if (!c.use_events)
		start_event(&c);

	/* hiredis writes with plain write(): a dead server must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Signals are taken only inside ppoll(), so none is missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);

	loop(&c, &waitmask);

	report(&c, 0);
	/* Refused messages are a peer failure the supervisor should see. */
	status = c.read_error || c.p.rejected ? EXIT_SYSTEM :
	    c.odd_byte ? EXIT_BADINPUT : EXIT_OK;
	q_free(&c.p.q);
	conn_close(&c.p.cn);
	ev_free(&c.ev);
	buf_free(&c.p.head);
	buf_free(&c.p.msg);
	if (c.have_stop)
		jv_free(c.stop);
	free(c.held);		/* emptied at end of input */
	free(c.p.audio_key);
	free(c.p.events_key);
	free(c.id);
	free(c.tenant);
	return status;
}
