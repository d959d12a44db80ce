/*
 * frame-clock - for latency benchmarks: subscribe to audio channels and
 * write, for each JSON audio frame, when it arrived:
 *
 *   interaction_id timestamp_ms recv_unix_us
 *
 * one line per frame on stdout.  Subscribes to events-channel too,
 * writes "stop interaction_id frames dropped" for each stop event there,
 * and exits 0 after -n of them (default 1); 111 when the connection
 * fails.  The fields are found by their keys, not by a full
 * JSON parse (redis-pub writes them compactly).
 *
 * usage: frame-clock [-n stops] -p port events-channel channel...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "msg.h"
#include "num.h"

#define USAGE "frame-clock [-n stops] -p port events-channel channel..."

/* The string value of "key":"..." in s, copied into out; "" if absent. */
static void
string_field(const char *s, const char *key, char *out, size_t len)
{
	const char *p = strstr(s, key), *e;

	out[0] = '\0';
	if (p == NULL || (p = strchr(p + strlen(key), '"')) == NULL)
		return;
	p++;
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

int
main(int argc, char **argv)
{
	redisContext *c;
	redisReply *r;
	struct timespec ts;
	long long stops = 1, seen = 0;
	const char *ts_ms;
	char id[256];
	int ch, port = 0, i;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "n:p:")) != -1) {
		switch (ch) {
		case 'n':
			stops = opt_int("-n", optarg, 1, 1000000);
			break;
		case 'p':
			port = opt_int("-p", optarg, 1, 65535);
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (port == 0 || argc - optind < 2)
		usage_exit(USAGE);
	if ((c = redisConnect("127.0.0.1", port)) == NULL || c->err)
		fatal(EXIT_SYSTEM, "redis: %s", c ? c->errstr : "out of memory");
	for (i = optind; i < argc; i++) {
		if ((r = redisCommand(c, "SUBSCRIBE %s", argv[i])) == NULL)
			fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
		freeReplyObject(r);
	}
	while (seen < stops) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			fatal(EXIT_SYSTEM, "redis: %s", c->errstr);
		clock_gettime(CLOCK_REALTIME, &ts);
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING) {
			const char *chan = r->element[1]->str;
			const char *m = r->element[2]->str;

			if (!strcmp(chan, argv[optind])) {
				const char *f = strstr(m, "\"frames\":");
				const char *d = strstr(m, "\"dropped\":");

				if (strstr(m, "\"event\":\"stop\"") == NULL)
					goto next;
				seen++;
				string_field(m, "\"interaction_id\":", id,
				    sizeof id);
				printf("stop %s %lld %lld\n", id,
				    f ? atoll(f + 9) : -1, d ? atoll(d + 10) : -1);
			} else if ((ts_ms = strstr(m, "\"timestamp_ms\":")) != NULL) {
				string_field(m, "\"interaction_id\":", id,
				    sizeof id);
				printf("%s %lld %lld\n", id, atoll(ts_ms + 15),
				    (long long)ts.tv_sec * 1000000 +
				    ts.tv_nsec / 1000);
			}
		}
next:
		freeReplyObject(r);
	}
	redisFree(c);
	if (fflush(stdout) != 0)
		fatal_sys(EXIT_SYSTEM, "stdout");
	return 0;
}
