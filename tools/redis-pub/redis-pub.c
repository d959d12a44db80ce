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
 *
 * This file: options, the poll loop, the give-up rules.  audio.c cuts
 * frames, lifecycle.c places the events, identity.c names the call,
 * queue.c is the backlog, pub.c turns it into commands and matches the
 * replies, conn.c keeps the connection, url.c reads REDIS_URL, frame.c
 * builds the JSON, event.c reads the event lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "call.h"
#include "io.h"
#include "msg.h"
#include "num.h"
#include "pub.h"
#include "url.h"

#define USAGE "redis-pub [-v] [-a ms] [-B seconds] [-c channel] [-d ms] [-E fd] " \
	"[-e events-channel] [-f json | raw] [-i interaction-id] [-M maxlen] " \
	"[-m publish | spublish | xadd] [-r rate] [-T timeout-ms] " \
	"[-t tenant-id] [-u url] [-W seconds]"

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
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
		if ((size_t)n < want)	/* the input pauses here */
			frame_cut_at_pause(c);
		return;
	}
	if (n < 0) {
		warn_sys("unable to read stdin");
		c->read_error = 1;
	}
	end_input(c, now);
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

	if ((c->cluster_backlog || c->cluster_wait) &&
	    p->cn.cl.state == CLUSTER_YES) {
		if (c->cluster_backlog)
			p->q.max_frames = (size_t)CLUSTER_DEFAULT_S * p->rate *
			    2 / c->frame_bytes;
		if (c->cluster_wait)
			c->wait_s = CLUSTER_DEFAULT_S;
		c->cluster_backlog = c->cluster_wait = 0;
	}
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
		now = mono_ms();
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
		now = mono_ms();
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
	const char *o_a = NULL, *o_B = NULL, *o_d = NULL, *o_E = NULL, *o_M = NULL;
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
	while ((ch = getopt(argc, argv, "a:B:c:d:E:e:f:hi:M:m:r:T:t:u:vW:")) != -1) {
		switch (ch) {
		case 'a':
			o_a = optarg;
			break;
		case 'B':
			o_B = optarg;
			break;
		case 'c':
			o_c = optarg;
			break;
		case 'd':
			o_d = optarg;
			break;
		case 'E':
			o_E = optarg;
			break;
		case 'e':
			o_e = optarg;
			break;
		case 'f':
			o_f = optarg;
			break;
		case 'i':
			c.id_opt = optarg;
			break;
		case 'M':
			o_M = optarg;
			break;
		case 'm':
			o_m = optarg;
			break;
		case 'r':
			o_r = optarg;
			break;
		case 'T':
			o_T = optarg;
			break;
		case 't':
			c.tenant_opt = optarg;
			break;
		case 'u':
			o_u = optarg;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		case 'W':
			o_W = optarg;
			break;
		default:
			usage_exit(USAGE);
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
	/* Default 6 ms: the look-ahead of resample's fir, speex and medium. */
	c.early_bytes = (size_t)(setting("-a", o_a, "FRAME_EARLY_MS", 0, ms - 1,
	    6) * c.p.rate / 1000 * 2);
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

	c.start_ms = mono_ms();
	q_init(&c.p.q, (size_t)(backlog_s * 1000 / ms));
	conn_init(&c.p.cn, &url, (int)setting("-T", o_T, "REDIS_TIMEOUT_MS",
	    50, 600000, 2000), c.start_ms);
	c.cluster_backlog = o_B == NULL && env_get("BACKLOG_SECONDS") == NULL;
	c.cluster_wait = o_W == NULL && env_get("REDIS_WAIT_SECONDS") == NULL;
	if ((urls = env_get("REDIS_NODES")) != NULL &&
	    conn_seeds(&c.p.cn, urls, &why) < 0)
		fatal(EXIT_USAGE, "invalid REDIS_NODES: %s", why);
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
