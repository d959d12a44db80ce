/*
 * naive-pub - the simplest publisher of JSON audio frames, as a peer for
 * bench/redis-pub.bench: a blocking hiredis connection, read one 20 ms
 * frame (960 bytes) from stdin, build the same JSON frame as redis-pub,
 * PUBLISH it and wait for the reply, repeat.  No backlog, no reconnect,
 * no events: the floor of what publishing each live frame costs.
 *
 * usage: naive-pub -p port channel < pcm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

#include "base64.h"
#include "io.h"
#include "msg.h"
#include "num.h"

#define FRAME 960
#define USAGE "naive-pub -p port channel"

int
main(int argc, char *argv[])
{
	static char json[4096], b64[BASE64_ENCODED_LEN(FRAME) + 1];
	unsigned char pcm[FRAME];
	unsigned long long seq = 0;
	int ch, port = 0, n;
	redisContext *c;
	redisReply *r;
	ssize_t got;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p')
			usage_exit(USAGE);
		port = opt_int("-p", optarg, 1, 65535);
	}
	if (optind + 1 != argc || !port)
		usage_exit(USAGE);
	c = redisConnect("127.0.0.1", port);
	if (c == NULL || c->err)
		fatal(EXIT_SYSTEM, "unable to connect");
	while ((got = read_full(0, pcm, FRAME)) > 0) {
		base64_encode(pcm, (size_t)got, b64);
		n = snprintf(json, sizeof json, "{\"interaction_id\":\"%s\","
		    "\"tenant_id\":\"t\",\"seq\":%llu,\"timestamp_ms\":%llu,"
		    "\"sample_rate\":24000,\"encoding\":\"pcm16\",\"audio\":\"%s\"}",
		    argv[optind], seq, seq * 20, b64);
		seq++;
		r = redisCommand(c, "PUBLISH %s %b", argv[optind], json, (size_t)n);
		if (r == NULL)
			fatal(EXIT_SYSTEM, "publish: %s", c->errstr);
		freeReplyObject(r);
	}
	redisFree(c);
	return 0;
}
