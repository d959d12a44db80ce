/*
 * play-read - a call's play stream, as lines: reads the Redis stream a
 * bot writes to (default key play:{interaction_id}) with a blocking
 * XREAD and writes the "data" field of each entry on stdout, one line an
 * entry, in order, as soon as it is added.  exotel-encode(1) turns those
 * lines into the messages a Voicebot call hears.
 *
 * Where it starts: after the entry named by -f, else after the stream's
 * last entry added before -t (a Unix time in ms: voicebot-call gives the
 * time the call connected), else after its last entry at start-up; that
 * id is fetched once, so nothing added after it is missed, as with
 * XREAD's "$" but pinned.  -l prints that id and exits: a pipeline takes
 * it before it tells the bot the call has started, then reads from it.
 *
 * It ends when whoever reads its stdout is gone (polled, so a blocked
 * XREAD does not keep it alive), exit 0.  A lost Redis connection is
 * reopened with back-off and the read goes on after the last id written:
 * the stream keeps what was added meanwhile.  Unreachable for longer than
 * the retry budget: exit 111.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "clock.h"
#include "io.h"
#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "redisurl.h"

#define USAGE "play-read [-lqv] [-f id] [-i interaction-id] [-k key] " \
    "[-r retry-seconds] [-t since-ms] [-u redis-url]"
#define HELP \
    "  -f id              read the entries after this id (default: the last at start)\n" \
    "  -i interaction-id  the call (INTERACTION_ID)\n" \
    "  -k key             stream key template (PLAY_KEY, default play:{interaction_id})\n" \
    "  -l                 print the id reading starts after (0-0: none) and exit\n" \
    "  -q                 warnings only\n" \
    "  -r retry-seconds   give up after Redis is unreachable this long (PLAY_RETRY_SECONDS, default 10)\n" \
    "  -t since-ms        read the entries added since this Unix time in ms\n" \
    "  -u redis-url       Redis (REDIS_URL, default redis://127.0.0.1:6379)\n" \
    "  -v                 debug messages\n"

#define DEFAULT_KEY "play:{interaction_id}"
/* Entries per XREAD: a bot's burst comes in one reply, memory stays bounded. */
#define READ_COUNT "64"
#define CONNECT_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct opts {
	const char *from, *id, *key, *url, *retry, *since;
	int last_only;
};

static struct redis_url url;
static char *key;		/* owned: the expanded key */
static char last_id[64] = "";	/* the last entry written (or the start) */
static long retry_ms;

/*
 * The key from tpl (borrowed): {interaction_id}, {tenant_id} and
 * {stream_sid} replaced, {{ and }} for literal braces (a hash tag).
 * Returns an owned string.
 */
static char *
expand(const char *tpl, const char *id, const char *tenant, const char *sid)
{
	struct buf b = { 0 };
	const char *p;

	for (p = tpl; *p; p++) {
		if (p[0] == '{' && p[1] == '{') {
			buf_add(&b, "{", 1);
			p++;
		} else if (p[0] == '}' && p[1] == '}') {
			buf_add(&b, "}", 1);
			p++;
		} else if (strncmp(p, "{interaction_id}", 16) == 0) {
			buf_adds(&b, id);
			p += 15;
		} else if (strncmp(p, "{tenant_id}", 11) == 0) {
			buf_adds(&b, tenant);
			p += 10;
		} else if (strncmp(p, "{stream_sid}", 12) == 0) {
			buf_adds(&b, sid);
			p += 11;
		} else
			buf_add(&b, p, 1);
	}
	buf_add(&b, "", 1);
	return b.p;
}

/* Whoever reads stdout has gone: nothing left to do. */
static int
reader_gone(void)
{
	struct pollfd p = { .fd = 1, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/*
 * The answer r (consumed; NULL when none came) to a command of the login
 * (what: "login", "select"): 0 when it went through; -1 with the reason
 * in why when none came (c->errstr) or it was refused.
 */
static int
answered(redisContext *c, redisReply *r, const char *what, char *why,
    size_t whylen)
{
	int ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (r == NULL)
		snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr :
		    "unknown error");
	else if (!ok)
		snprintf(why, whylen, "%s refused: %s", what, r->str);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* Connect, log in, select; NULL (reason logged at debug) on failure. */
static redisContext *
dial(char *why, size_t whylen)
{
	struct timeval tv = { CONNECT_TIMEOUT_MS / 1000,
	    (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	redisContext *c;

	c = url.is_unix ? redisConnectUnixWithTimeout(url.path, tv) :
	    redisConnectWithTimeout(url.host, url.port, tv);
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (c->err) {
		answered(c, NULL, "connect", why, whylen);
		goto fail;
	}
	/* Replies are read through poll; a dead peer shows by keepalive. */
	redisSetTimeout(c, tv);
	if (!url.is_unix)
		redisEnableKeepAlive(c);
	if (url.has_pass && answered(c, url.user[0] ?
	    redisCommand(c, "AUTH %s %s", url.user, url.pass) :
	    redisCommand(c, "AUTH %s", url.pass), "login", why, whylen) < 0)
		goto fail;
	if (url.db && answered(c, redisCommand(c, "SELECT %ld", url.db),
	    "select", why, whylen) < 0)
		goto fail;
	return c;
fail:
	redisFree(c);
	return NULL;
}

/*
 * A connection, retried with back-off until retry_ms has passed since
 * the first failure (then exit 111), or until the reader is gone (exit 0).
 */
static redisContext *
connect_redis(void)
{
	static int ever;
	int64_t since = mono_ms(), wait = BACKOFF_MIN_MS;
	char why[256];
	int failures = 0;
	redisContext *c;

	for (;;) {
		if ((c = dial(why, sizeof why)) != NULL)
			break;
		if (failures++ == 0)
			warnx_("redis unable to connect: %s addr=%s", why,
			    url_where(&url));
		else
			debug("redis attempt failed: %s attempt=%d", why,
			    failures);
		if (mono_ms() - since >= retry_ms)
			fatal(EXIT_SYSTEM, "redis unreachable for %ld s addr=%s",
			    retry_ms / 1000, url_where(&url));
		if (reader_gone())
			exit(EXIT_OK);
		usleep((useconds_t)wait * 1000);
		wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
	}
	if (failures || ever)
		info("redis connected addr=%s db=%ld attempts=%d",
		    url_where(&url), url.db, failures + 1);
	else
		debug("redis connected addr=%s db=%ld", url_where(&url), url.db);
	ever = 1;
	return c;
}

/*
 * Where reading starts when -f does not say: after the stream's last
 * entry, or with since_ms after the last entry added before that time
 * (a stream id is its entry's Unix time in ms on Redis's clock); "0-0"
 * when there is none.
 */
static void
fetch_start(redisContext *c, const char *since_ms)
{
	redisReply *r, *e;
	long long t;

	if (since_ms == NULL)
		r = redisCommand(c, "XREVRANGE %s + - COUNT 1", key);
	else if (parse_long(since_ms, 0, 1LL << 52, &t) < 0)
		fatal(EXIT_USAGE, "invalid since: %s (want milliseconds since "
		    "1970)", since_ms);
	else if (t == 0)
		r = redisCommand(c, "XREVRANGE %s 0-0 - COUNT 1", key);
	else	/* "t-1" as an end: t-1 ms, any sequence number (Redis >= 5) */
		r = redisCommand(c, "XREVRANGE %s %lld - COUNT 1", key, t - 1);
	if (r == NULL)
		fatal(EXIT_SYSTEM, "redis XREVRANGE failed: %s addr=%s",
		    c->errstr, url_where(&url));
	if (r->type == REDIS_REPLY_ERROR)
		fatal(EXIT_SYSTEM, "redis XREVRANGE refused: %s", r->str);
	snprintf(last_id, sizeof last_id, "0-0");
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    (e = r->element[0])->type == REDIS_REPLY_ARRAY &&
	    e->elements >= 1 && e->element[0]->type == REDIS_REPLY_STRING)
		snprintf(last_id, sizeof last_id, "%s", e->element[0]->str);
	freeReplyObject(r);
}

/*
 * One entry (borrowed): its "data" value as a line in out.  Newlines in
 * it (pretty-printed JSON) become spaces, so one entry stays one line.
 */
static void
entry(redisReply *e, struct buf *out)
{
	redisReply *f;
	char show[LOGSAFE_SIZE(64)];
	size_t i, k, start;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return;
	snprintf(last_id, sizeof last_id, "%s", e->element[0]->str);
	f = e->element[1];
	if (f->type == REDIS_REPLY_ARRAY)
		for (i = 0; i + 1 < f->elements; i += 2)
			if (f->element[i]->type == REDIS_REPLY_STRING &&
			    strcmp(f->element[i]->str, "data") == 0 &&
			    f->element[i + 1]->type == REDIS_REPLY_STRING) {
				start = out->len;
				buf_add(out, f->element[i + 1]->str,
				    f->element[i + 1]->len);
				for (k = start; k < out->len; k++)
					if (out->p[k] == '\n' ||
					    out->p[k] == '\r')
						out->p[k] = ' ';
				buf_add(out, "\n", 1);
				return;
			}
	warnx_("entry without a data field id=%s",
	    logsafe(last_id, show, sizeof show));
}

/*
 * Send XREAD ... BLOCK 0 after last_id and wait for its reply or for the
 * reader to go.  Returns the reply (owned by the caller), or NULL when
 * the connection failed (c is then unusable).
 */
static redisReply *
xread(redisContext *c)
{
	const char *argv[] = { "XREAD", "COUNT", READ_COUNT, "BLOCK", "0",
	    "STREAMS", key, last_id };
	struct pollfd p[2];
	void *reply = NULL;
	int done = 0;

	if (redisAppendCommandArgv(c, 8, argv, NULL) != REDIS_OK)
		return NULL;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return NULL;
	for (;;) {
		p[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = 1, .events = 0 };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal_sys(EXIT_SYSTEM, "poll");
		}
		if (p[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			debug("reader gone");
			exit(EXIT_OK);
		}
		if (p[0].revents) {
			if (redisBufferRead(c) != REDIS_OK)
				return NULL;
			if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
				return NULL;
			if (reply)
				return reply;
		}
	}
}

/* Read for good from c (consumed: freed and replaced when it fails). */
static void
run(redisContext *c)
{
	struct buf out = { 0 };
	redisReply *r, *s;
	char show[LOGSAFE_SIZE(256)];
	unsigned long long n = 0;
	size_t i;

	for (;;) {
		if (c == NULL)
			c = connect_redis();
		if ((r = xread(c)) == NULL) {
			warnx_("redis connection lost: %s addr=%s",
			    c->errstr[0] ? c->errstr : "closed",
			    url_where(&url));
			redisFree(c);
			c = NULL;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR)
			fatal(EXIT_SYSTEM, "redis XREAD refused: %s key=%s",
			    r->str, logsafe(key, show, sizeof show));
		/* [[key, [[id, [field, value, ...]], ...]]], or nil. */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    (s = r->element[0])->type == REDIS_REPLY_ARRAY &&
		    s->elements == 2 &&
		    s->element[1]->type == REDIS_REPLY_ARRAY) {
			for (i = 0; i < s->element[1]->elements; i++)
				entry(s->element[1]->element[i], &out);
			n += s->element[1]->elements;
		}
		freeReplyObject(r);
		if (out.len) {
			if (write_all(1, out.p, out.len) < 0) {
				if (errno == EPIPE)
					exit(EXIT_OK);
				fatal_sys(EXIT_SYSTEM, "unable to write stdout");
			}
			out.len = 0;
		}
		debug("entries=%llu last=%s", n, last_id);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *why, *u;
	char show[LOGSAFE_SIZE(256)];
	redisContext *c;
	int ch;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	while ((ch = getopt(argc, argv, "f:hi:k:lqr:t:u:v")) != -1) {
		switch (ch) {
		case 't':
			o.since = optarg;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'i':
			o.id = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'l':
			o.last_only = 1;
			break;
		case 'q':
			msg_verbosity = 0;
			break;
		case 'r':
			o.retry = optarg;
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (optind != argc)
		usage_exit(USAGE);
	signal(SIGPIPE, SIG_IGN);
	retry_ms = 1000 * setting_int("-r", o.retry, "PLAY_RETRY_SECONDS", 0,
	    3600, 10);
	u = setting_str(o.url, "REDIS_URL", "redis://127.0.0.1:6379");
	if (url_parse(u, &url, &why) < 0)
		fatal(EXIT_USAGE, "%s: %s", o.url ? "-u" : "REDIS_URL", why);
	o.id = setting_str(o.id, "INTERACTION_ID", NULL);
	o.key = setting_str(o.key, "PLAY_KEY", DEFAULT_KEY);
	if (o.id == NULL && strstr(o.key, "{interaction_id}"))
		fatal(EXIT_USAGE, "no interaction id: give -i or set "
		    "INTERACTION_ID (or a key without {interaction_id})");
	key = expand(o.key, o.id ? o.id : "",
	    setting_str(NULL, "TENANT_ID", "default"),
	    setting_str(NULL, "STREAM_SID", ""));
	if (o.from) {
		if (strlen(o.from) >= sizeof last_id)
			fatal(EXIT_USAGE, "-f: id too long");
		snprintf(last_id, sizeof last_id, "%s", o.from);
	}
	c = connect_redis();
	if (o.last_only || !o.from)
		fetch_start(c, o.since);
	if (o.last_only) {
		redisFree(c);
		if (printf("%s\n", last_id) < 0 || fflush(stdout) == EOF)
			fatal_sys(EXIT_SYSTEM, "unable to write stdout");
		return close_stdout() < 0 ? EXIT_SYSTEM : EXIT_OK;
	}
	info("reading key=%s after=%s", logsafe(key, show, sizeof show),
	    last_id);
	run(c);
	return EXIT_OK;
}
