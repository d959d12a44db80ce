/*
 * redis-pub - publish a call's audio to Redis as it arrives.
 *
 * Reads PCM16LE mono at -r RATE on stdin, cuts it into frames of -d
 * milliseconds and publishes each frame the moment its last sample
 * arrives: PUBLISH to a channel (default audio:{interaction_id}, and
 * ":<track>" after it for tracks but inbound), SPUBLISH, or XADD to a
 * stream trimmed by age (MINID), as the JSON audio frame of DESIGN.md or
 * as raw PCM.  Reads the call's events (start, dtmf, mark, stop) from
 * -E FD and publishes each kind on its own key (default calls:events) in
 * order with the audio: start before the first frame, stop after the last
 * with our totals.  -L rtaafin: the original service's layout.  Before the
 * first frame it claims the call on its key in Redis (one live publisher
 * per call and key, across hosts; seq goes on across a call's streams).
 * -s publishes a dead publisher's stop.  Writes nothing on stdout; logs
 * on stderr, counters on METRICS_FD.
 *
 * Redis going away never blocks the pipeline: stdin is read all the
 * time, frames wait in a bounded backlog (oldest dropped and counted)
 * while the connection comes back, and go out in order when it does.
 *
 * This file: options, the poll loop, the give-up rules.  audio.c cuts
 * frames, lifecycle.c places the events, identity.c names the call,
 * queue.c is the backlog, pub.c turns it into commands and matches the
 * replies, conn.c keeps the connection, lib/redisurl.c reads REDIS_URL,
 * frame.c builds the JSON, event.c reads the event lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "call.h"
#include "io.h"
#include "logsafe.h"
#include "metrics.h"
#include "msg.h"
#include "num.h"
#include "pub.h"
#include "setting.h"
#include "redisurl.h"

#define USAGE "redis-pub [-nsv] [-a ms] [-B seconds] [-C seconds] [-c channel] " \
	"[-d ms] [-E fd] [-e events-channel] [-f json | raw] [-H seconds] " \
	"[-i interaction-id] [-L default | rtaafin] [-M maxlen] " \
	"[-m publish | spublish | xadd] [-P fd] [-r rate] [-T timeout-ms] " \
	"[-t tenant-id] [-u url] [-W seconds]"

#define HELP \
"  -a ms          a frame may end this early where the input pauses (FRAME_EARLY_MS, 6)\n" \
"  -B seconds     backlog while Redis is away (BACKLOG_SECONDS, 10)\n" \
"  -C seconds     claim expiry, 0 no claim (CLAIM_SECONDS, 15)\n" \
"  -c channel     frames' channel or stream (AUDIO_CHANNEL, audio:{interaction_id})\n" \
"  -d ms          frame duration (FRAME_MS, 20)\n" \
"  -E fd          read event lines from descriptor fd\n" \
"  -e channel     events' channel or stream, - none (EVENTS_CHANNEL, calls:events)\n" \
"                 per kind: EVENTS_START, EVENTS_STOP, EVENTS_DTMF, EVENTS_MARK\n" \
"  -f json|raw    message format (AUDIO_FORMAT, json)\n" \
"  -H seconds     XADD keeps this much history, MINID ~ (STREAM_RETENTION_SECONDS, 120)\n" \
"  -i id          interaction id (INTERACTION_ID)\n" \
"  -L layout      default or rtaafin: the original service's keys (REDIS_LAYOUT)\n" \
"  -M maxlen      XADD MAXLEN ~ maxlen instead of -H (STREAM_MAXLEN)\n" \
"  -m mode        publish, spublish or xadd (REDIS_MODE, publish)\n" \
"  -n             check the settings and exit: read nothing, connect nowhere\n" \
"  -P fd          keep our totals at offset 0 of file descriptor fd\n" \
"  -r rate        sample rate of the input and the frames (24000)\n" \
"  -s             publish the stop event alone (the publisher died)\n" \
"  -T timeout-ms  connect, login and reply timeout (REDIS_TIMEOUT_MS, 2000)\n" \
"  -t tenant      tenant id (TENANT_ID)\n" \
"  -u url         redis:// or unix:// URL (REDIS_URL, redis://127.0.0.1:6379)\n" \
"  -v             debug messages\n" \
"  -W seconds     give-up time (REDIS_WAIT_SECONDS, 10)\n" \
"  templates: {interaction_id} {tenant_id} {stream_sid} {track}\n"

/* -P: the totals line's length; the file's mapped size. */
#define PROGRESS_LEN 84
#define PROGRESS_MAP 256

/* Metrics go to ws-accept this often during a call (and at the end). */
#define METRICS_EVERY_MS 5000

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
		/* -s: the PCM of a publisher that died is drained, not sent. */
		if (!c->oneshot) {
			add_pcm(c, chunk, (size_t)n);
			if ((size_t)n < want)	/* the input pauses here */
				frame_cut_at_pause(c);
		}
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
	char totals[512], id[LOGSAFE_SIZE(64)];

	snprintf(totals, sizeof totals, "interaction=%s frames=%llu "
	    "delivered=%llu duration_ms=%llu dropped=%llu rejected=%llu "
	    "undelivered=%zu connects=%lu",
	    logsafe(c->id ? c->id : "-", id, sizeof id),
	    (unsigned long long)c->seq, (unsigned long long)p->delivered,
	    (unsigned long long)(c->samples * 1000 / p->rate),
	    (unsigned long long)p->q.dropped, (unsigned long long)p->rejected,
	    p->q.frames, p->cn.connects);
	if (gave_up)
		warnx_("gave up: %s", totals);
	else
		info("done %s", totals);
}

/*
 * Our counters into lib/metrics (the increments since the last time),
 * then written to METRICS_FD.  At the end (ended: the reason), the
 * call's own series too.
 */
static void
metrics(struct call *c, const char *ended)
{
	static const double hw_le[] = { 1, 2, 5, 10, 50, 100, 500 };
	static uint64_t m_pub, m_bytes, m_drop, m_delay[DELAY_BUCKETS + 1];
	static unsigned long m_conn;
	static double m_sum;
	const struct pub *p = &c->p;
	uint64_t cum = 0, dropped = p->q.dropped + p->rejected_frames;
	char name[96];
	size_t i;

	metrics_add("ingest_frames_published_total",
	    (double)(p->delivered - m_pub));
	metrics_add("ingest_frames_dropped_total", (double)(dropped - m_drop));
	metrics_add("ingest_audio_bytes_published_total",
	    (double)(p->bytes - m_bytes));
	/* The first connection is not a reconnect. */
	if (p->cn.connects > 1 && p->cn.connects - 1 > m_conn) {
		metrics_add("ingest_redis_reconnects_total",
		    (double)(p->cn.connects - 1 - m_conn));
		m_conn = p->cn.connects - 1;
	}
	for (i = 0; i <= DELAY_BUCKETS; i++) {
		cum += p->delay[i] - m_delay[i];
		m_delay[i] = p->delay[i];
		if (i < DELAY_BUCKETS)
			snprintf(name, sizeof name, "ingest_frame_delay_seconds_"
			    "bucket{le=\"%g\"}", delay_le[i]);
		else
			snprintf(name, sizeof name, "ingest_frame_delay_seconds_"
			    "bucket{le=\"+Inf\"}");
		metrics_add(name, (double)cum);
	}
	metrics_add("ingest_frame_delay_seconds_count", (double)cum);
	metrics_add("ingest_frame_delay_seconds_sum", p->delay_sum - m_sum);
	m_sum = p->delay_sum;
	m_pub = p->delivered;
	m_bytes = p->bytes;
	m_drop = dropped;
	if (ended) {
		snprintf(name, sizeof name, "ingest_calls_ended_total"
		    "{reason=\"%s\"}", ended);
		metrics_add(name, 1);
		/* One observation a call: its backlog's high-water mark. */
		for (i = 0; i < sizeof hw_le / sizeof hw_le[0]; i++) {
			snprintf(name, sizeof name, "ingest_backlog_high_water_"
			    "frames_bucket{le=\"%g\"}", hw_le[i]);
			metrics_add(name, c->backlog_hw <= hw_le[i]);
		}
		metrics_add("ingest_backlog_high_water_frames_bucket"
		    "{le=\"+Inf\"}", 1);
		metrics_add("ingest_backlog_high_water_frames_count", 1);
		metrics_add("ingest_backlog_high_water_frames_sum",
		    (double)c->backlog_hw);
	}
	metrics_flush();
}

/* Give up: say so, count it, exit 111. */
static void __attribute__((noreturn, format(printf, 2, 3)))
give_up(struct call *c, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	report(c, 1);
	progress(c);
	metrics(c, "gave_up");
	fatal(EXIT_SYSTEM, "%s", why);
}

void
progress(const struct call *c)
{
	char line[96];
	int n;

	if (c->progress_fd < 0)
		return;
	/* Fixed width: each write replaces the whole previous one. */
	n = snprintf(line, sizeof line, "%20llu %20llu %20llu %20llu\n",
	    (unsigned long long)c->seq, (unsigned long long)c->p.delivered,
	    (unsigned long long)c->samples,
	    (unsigned long long)(c->p.q.dropped + c->p.rejected_frames));
	/* Mapped: a copy, no system call a frame. */
	if (c->progress_map) {
		memcpy(c->progress_map, line, (size_t)n);
		return;
	}
	if (pwrite(c->progress_fd, line, (size_t)n, 0) != n) {
		warn_sys("-P %d: unable to write our totals", c->progress_fd);
		((struct call *)c)->progress_fd = -1;
	}
}

/*
 * Map the -P file when it is a regular file we may write (PROGRESS_MAP
 * bytes), so the totals cost no system call; else progress() writes.
 */
static void
progress_map(struct call *c)
{
	struct stat st;
	void *m;

	if (fstat(c->progress_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_size < PROGRESS_MAP &&
	    ftruncate(c->progress_fd, PROGRESS_MAP) < 0))
		return;
	m = mmap(NULL, PROGRESS_MAP, PROT_READ | PROT_WRITE, MAP_SHARED,
	    c->progress_fd, 0);
	if (m != MAP_FAILED)
		c->progress_map = m;
}

/* The claim's token after the totals (offset PROGRESS_LEN), once. */
void
token_progress(const struct call *c)
{
	char line[sizeof c->p.token + 1];
	int n;

	if (c->progress_fd < 0)
		return;
	n = snprintf(line, sizeof line, "%s\n", c->p.token);
	if (pwrite(c->progress_fd, line, (size_t)n, PROGRESS_LEN) != n)
		warn_sys("-P %d: unable to write our claim", c->progress_fd);
}

/*
 * -s: the totals a publisher that died left in -P, as if they were ours:
 * what it did not deliver counts as dropped; and its claim, released
 * with the stop.
 */
static void
adopt_progress(struct call *c)
{
	unsigned long long made = 0, deliv = 0, samples = 0, dropped = 0;
	char line[PROGRESS_LEN + sizeof c->p.token + 1], *tok, *nl;
	ssize_t n;

	if (c->progress_fd < 0)
		return;
	n = pread(c->progress_fd, line, sizeof line - 1, 0);
	line[n > 0 ? n : 0] = '\0';
	if (sscanf(line, "%llu %llu %llu %llu", &made, &deliv, &samples,
	    &dropped) != 4)
		made = deliv = samples = 0;
	if (n > PROGRESS_LEN && c->p.claim_key) {
		tok = line + PROGRESS_LEN;
		if ((nl = strchr(tok, '\n')) != NULL && nl > tok &&
		    (size_t)(nl - tok) < sizeof c->p.token) {
			memcpy(c->p.token, tok, (size_t)(nl - tok));
			c->p.token[nl - tok] = '\0';
			c->release_dead = 1;
		}
	}
	c->seq = made;
	c->samples = samples;
	c->p.delivered = deliv;
	c->p.q.dropped = made >= deliv ? made - deliv : 0;
	c->progress_fd = -1;	/* not ours to write */
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
		if (now - c->start_ms >= wait_ms)
			give_up(c, "redis unreachable for %d s addr=%s",
			    c->wait_s, url_where(&p->cn.at));
		dl = c->start_ms + wait_ms;
	}
	/*
	 * -s, or input from exotel-decode's chain (SAMPLE_RATE) that ended
	 * early (a stage between us died): the decoder's stop comes when the
	 * call ends, however long that is, and it alone says what was lost.
	 */
	if ((c->oneshot || c->in_rate) && c->in_eof && c->ev.fd >= 0 &&
	    !c->have_stop)
		c->eof_ms = now;
	if (p->claim == CLAIM_HELD && !c->finished) {
		if (c->refresh_ms == 0)
			c->refresh_ms = now + p->claim_s * 1000 / 3;
		if (now >= c->refresh_ms && !c->p.refresh_queued) {
			q_push(&p->q, q_new(ENT_REFRESH, 0));
			c->p.refresh_queued = 1;
			c->refresh_ms = now + p->claim_s * 1000 / 3;
		}
		dl = earliest(dl, c->refresh_ms);
	}
	if (c->in_eof && !c->finished) {
		/*
		 * The stop goes out once the decoder's stop came (or cannot
		 * come) and every frame has its reply, so its totals count
		 * what Redis refused too.
		 */
		if (c->ev.fd >= 0 && !c->have_stop &&
		    (c->oneshot || c->in_rate ||
		    now < c->eof_ms + EVENT_GRACE_MS))
			dl = earliest(dl, c->eof_ms + EVENT_GRACE_MS);
		else if (p->q.frames == 0)
			finish(c);
	}
	if (c->finished && p->q.entries == 0)
		return -2;
	if (c->in_eof) {
		if (now >= c->eof_ms + EVENT_GRACE_MS + wait_ms)
			give_up(c, "end of input: messages still "
			    "undelivered after %d s addr=%s", c->wait_s,
			    url_where(&p->cn.at));
		dl = earliest(dl, c->eof_ms + EVENT_GRACE_MS + wait_ms);
	}
	return dl;
}

/* Another publisher holds the call on this key: one line, exit 1. */
static void __attribute__((noreturn))
refused(struct call *c)
{
	char id[LOGSAFE_SIZE(64)], key[LOGSAFE_SIZE(128)];
	char owner[LOGSAFE_SIZE(128)];

	warnx_("refused: interaction=%s is already live on key=%s "
	    "(held by %s): this call is not published",
	    logsafe(c->id, id, sizeof id),
	    logsafe(c->p.audio_key, key, sizeof key),
	    logsafe_line(c->p.owner, owner, sizeof owner));
	metrics(c, "refused");
	exit(EXIT_BADINPUT);
}

static void
loop(struct call *c, const sigset_t *waitmask)
{
	struct pollfd pfd[3];
	struct timespec ts, *tsp;
	int64_t now, dl, next_metrics = mono_ms() + METRICS_EVERY_MS;
	uint64_t acked = 0, made = 0;
	int n, iev, iin, ire;
	short want;

	for (;;) {
		now = mono_ms();
		if (now >= next_metrics) {
			metrics(c, NULL);
			next_metrics = now + METRICS_EVERY_MS;
		}
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
		dl = earliest(dl, next_metrics);
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
			 * Redis goes away.  Not while a reply holds up what
			 * waits to be sent (the claim's, before the start
			 * event; a full window; a cluster's key switch): the
			 * start must not wait for the first frame.
			 */
			if (iin >= 0 && c->p.cn.state == CONN_READY &&
			    c->p.q.inflight < PUB_WINDOW / 2 &&
			    c->p.claim != CLAIM_SENT && !q_unsent(&c->p.q))
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
				resolve(c, NULL);
		}
		if (iin >= 0 && pfd[iin].revents)
			read_stdin(c, now);
		if (ire >= 0 && (pfd[ire].revents || !(pfd[ire].events & POLLIN))) {
			/* A read that finds nothing costs less than a wake-up. */
			if (conn_io(&c->p.cn, pfd[ire].revents |
			    (c->p.cn.state == CONN_READY ? POLLIN : 0), now) < 0)
				pub_broken(&c->p);
			pub_replies(&c->p, now);
			if (c->p.claim == CLAIM_REFUSED)
				refused(c);
		}
		/* At most one write a wake-up: made and acknowledged. */
		if (c->p.delivered != acked || c->seq != made) {
			acked = c->p.delivered;
			made = c->seq;
			progress(c);
		}
	}
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

/* A key template: refused (usage) when it names a placeholder we lack. */
static const char *
template(const char *what, const char *tpl)
{
	char bad[64];

	if (tpl && tpl_unknown(tpl, bad, sizeof bad))
		fatal(EXIT_USAGE, "invalid %s: unknown placeholder %s (known: "
		    "{interaction_id} {tenant_id} {stream_sid} {track})",
		    what, bad);
	return tpl;
}

/* A route: "-" is none (NULL). */
static const char *
route(const char *what, const char *tpl)
{
	return strcmp(tpl, "-") == 0 ? NULL : template(what, tpl);
}

struct opts {
	const char *a, *B, *C, *c, *d, *E, *e, *f, *H, *L, *M, *m, *P, *r, *T;
	const char *u, *W;
	int check;		/* -n */
};

int
main(int argc, char *argv[])
{
	static const char *const modes[] = { "publish", "spublish", "xadd", NULL };
	static const char *const formats[] = { "json", "raw", NULL };
	static const char *const layouts[] = { "default", "rtaafin", NULL };
	struct opts o = { 0 };
	const char *urls, *why, *ev_def, *v;
	struct redis_url url;
	struct sigaction sa;
	struct call c;
	sigset_t block, waitmask;
	long long ms, backlog_s;
	int ch, status, rt;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	memset(&c, 0, sizeof c);
	c.progress_fd = -1;
	while ((ch = getopt(argc, argv, "a:B:C:c:d:E:e:f:H:hi:L:M:m:nP:r:sT:t:u:vW:")) != -1) {
		switch (ch) {
		case 'a':
			o.a = optarg;
			break;
		case 'B':
			o.B = optarg;
			break;
		case 'C':
			o.C = optarg;
			break;
		case 'c':
			o.c = optarg;
			break;
		case 'd':
			o.d = optarg;
			break;
		case 'E':
			o.E = optarg;
			break;
		case 'e':
			o.e = optarg;
			break;
		case 'f':
			o.f = optarg;
			break;
		case 'H':
			o.H = optarg;
			break;
		case 'i':
			c.id_opt = optarg;
			break;
		case 'L':
			o.L = optarg;
			break;
		case 'M':
			o.M = optarg;
			break;
		case 'm':
			o.m = optarg;
			break;
		case 'n':
			o.check = 1;
			break;
		case 'P':
			o.P = optarg;
			break;
		case 'r':
			o.r = optarg;
			break;
		case 's':
			c.oneshot = 1;
			break;
		case 'T':
			o.T = optarg;
			break;
		case 't':
			c.tenant_opt = optarg;
			break;
		case 'u':
			o.u = optarg;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		case 'W':
			o.W = optarg;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (optind != argc)
		usage_exit(USAGE);

	c.layout = choice("-L", setting_str(o.L, "REDIS_LAYOUT", "default"),
	    layouts);
	c.p.rate = (unsigned)setting_int("-r", o.r, NULL, RATE_MIN, RATE_MAX,
	    24000);
	ms = setting_int("-d", o.d, "FRAME_MS", 10, 1000, 20);
	if (c.p.rate * ms % 1000)
		fatal(EXIT_USAGE, "frames of %lld ms at %u Hz are not whole "
		    "samples", ms, c.p.rate);
	c.frame_bytes = (size_t)(c.p.rate * ms / 1000 * 2);
	/* Default 6 ms: the look-ahead of resample's fir, speex and medium. */
	c.early_bytes = (size_t)(setting_int("-a", o.a, "FRAME_EARLY_MS", 0,
	    ms - 1, 6) * c.p.rate / 1000 * 2);
	backlog_s = setting_int("-B", o.B, "BACKLOG_SECONDS", 1, 3600, 10);
	c.wait_s = (int)setting_int("-W", o.W, "REDIS_WAIT_SECONDS", 1, 3600, 10);
	c.p.maxlen = setting_int("-M", o.M, "STREAM_MAXLEN", 1, 1000000000, 0);
	c.p.retention_s = setting_int("-H", o.H, "STREAM_RETENTION_SECONDS",
	    0, 10 * 365 * 86400LL, 120);
	c.p.claim_s = (int)setting_int("-C", o.C, "CLAIM_SECONDS", 0, 86400, 15);
	if (c.p.claim_s == 1 || c.p.claim_s == 2)
		fatal(EXIT_USAGE, "invalid %s: %d (0 for none, or 3 and more: "
		    "it is refreshed every third)", o.C ? "-C" : "CLAIM_SECONDS",
		    c.p.claim_s);
	c.p.mode = choice("-m", setting_str(o.m, "REDIS_MODE",
	    c.layout == LAYOUT_RTAAFIN ? "xadd" : "publish"), modes);
	c.p.format = choice("-f", setting_str(o.f, "AUDIO_FORMAT", "json"),
	    formats);
	c.chan_tpl = template(o.c ? "-c" : "AUDIO_CHANNEL", setting_str(o.c,
	    "AUDIO_CHANNEL", c.layout == LAYOUT_RTAAFIN ? "audio_stream" :
	    "audio:{interaction_id}"));
	/*
	 * Events: EVENTS_CHANNEL for every kind, each kind's own variable
	 * over it.  The rtaafin layout: only the stop, on call_end.
	 */
	ev_def = setting_str(o.e, "EVENTS_CHANNEL",
	    c.layout == LAYOUT_RTAAFIN ? "-" : "calls:events");
	{
		static const char *const vars[NROUTES] = { "EVENTS_START",
		    "EVENTS_STOP", "EVENTS_DTMF", "EVENTS_MARK", NULL };

		for (rt = 0; rt < NROUTES; rt++) {
			v = vars[rt] ? setting_str(NULL, vars[rt],
			    rt == ROUTE_STOP && c.layout == LAYOUT_RTAAFIN ?
			    "call_end" : ev_def) : ev_def;
			/* Named after where the value came from. */
			c.route_tpl[rt] = route(vars[rt] &&
			    env_get(vars[rt]) ? vars[rt] : o.e ? "-e" :
			    "EVENTS_CHANNEL", v);
		}
	}
	if (c.id_opt == NULL)
		c.id_opt = env_get("INTERACTION_ID");
	if (c.tenant_opt == NULL)
		c.tenant_opt = env_get("TENANT_ID");
	c.sid_opt = env_get("STREAM_SID");
	c.track_opt = env_get("TRACK");
	if ((v = env_get("CALL_SID")) != NULL && (c.call_sid = strdup(v)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	/* The decoder's rate, to tell what its samples became here. */
	c.in_rate = (unsigned)setting_int("SAMPLE_RATE", NULL, "SAMPLE_RATE",
	    RATE_MIN, RATE_MAX, 0);
	urls = setting_str(o.u, "REDIS_URL", "redis://127.0.0.1:6379");
	if (url_parse(urls, &url, &why) < 0)
		fatal(EXIT_USAGE, "invalid redis url: %s", why);
	ev_init(&c.ev, -1);
	/* -n: the descriptors are a call's, not the configuration's. */
	if (o.E) {
		c.ev.fd = (int)opt_int("-E", o.E, 3, 65535);
		if (!o.check && fcntl(c.ev.fd, F_GETFD) < 0)
			fatal(EXIT_USAGE, "-E %d: descriptor not open", c.ev.fd);
		c.use_events = 1;
	}
	if (o.P) {
		c.progress_fd = (int)opt_int("-P", o.P, 0, 65535);
		if (!o.check && fcntl(c.progress_fd, F_GETFD) < 0)
			fatal(EXIT_USAGE, "-P %d: descriptor not open",
			    c.progress_fd);
		if (!c.oneshot && !o.check)
			progress_map(&c);
	}

	c.start_ms = mono_ms();
	q_init(&c.p.q, (size_t)(backlog_s * 1000 / ms));
	conn_init(&c.p.cn, &url, (int)setting_int("-T", o.T, "REDIS_TIMEOUT_MS",
	    50, 600000, 2000), c.start_ms);
	c.cluster_backlog = o.B == NULL && env_get("BACKLOG_SECONDS") == NULL;
	c.cluster_wait = o.W == NULL && env_get("REDIS_WAIT_SECONDS") == NULL;
	if ((urls = env_get("REDIS_NODES")) != NULL &&
	    conn_seeds(&c.p.cn, urls, &why) < 0)
		fatal(EXIT_USAGE, "invalid REDIS_NODES: %s", why);
	if (o.check) {
		/* Every setting taken: nothing read, nothing sent. */
		debug("settings ok");
		q_free(&c.p.q);
		ev_free(&c.ev);
		free(c.call_sid);
		return EXIT_OK;
	}
	/* With -E and no identity, the start event names the call. */
	if ((c.id_opt && c.tenant_opt) || !c.use_events)
		resolve(&c, NULL);
	if (!c.use_events && !c.oneshot)
		start_event(&c);
	if (c.oneshot)
		adopt_progress(&c);
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
	progress(&c);
	metrics(&c, c.end_reason ? c.end_reason : "other");
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
	for (rt = 0; rt < NROUTES; rt++)
		free(c.p.route_key[rt]);
	free(c.p.claim_key);
	free(c.p.seq_key);
	free(c.p.stream_sid);
	free(c.stream_sid);
	free(c.track);
	free(c.call_sid);
	free(c.id);
	free(c.tenant);
	return status;
}
