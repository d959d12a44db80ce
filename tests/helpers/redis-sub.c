/*
 * redis-sub - a Redis subscriber for tests: SUBSCRIBE (or SSUBSCRIBE with
 * -S) to the channels and write each message as one line "channel
 * payload" on stdout, in the order Redis delivered them.  With -b FILE,
 * payloads on the first channel are appended raw to FILE instead and the
 * line says "channel <bytes>" (for binary messages).  Exits 0 after -n
 * messages, or after a message containing -x STRING; 111 when the
 * connection fails.
 *
 * usage: redis-sub [-S] [-b file] [-n count] [-x string] -p port | -s socket channel...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

#include "io.h"
#include "msg.h"
#include "num.h"

#define USAGE "redis-sub [-S] [-b file] [-n count] [-x string] -p port | -s socket channel..."

int
main(int argc, char *argv[])
{
	const char *sock = NULL, *until = NULL, *bfile = NULL;
	long long count = -1, seen = 0;
	int ch, port = 0, shard = 0, bfd = -1, i;
	redisContext *c;
	redisReply *r;
	char line[64];

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "b:n:p:Ss:x:")) != -1) {
		switch (ch) {
		case 'b':
			bfile = optarg;
			break;
		case 'n':
			count = opt_int("-n", optarg, 1, 1000000000);
			break;
		case 'p':
			port = opt_int("-p", optarg, 1, 65535);
			break;
		case 'S':
			shard = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'x':
			until = optarg;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (!port && !sock))
		usage_exit(USAGE);
	if (bfile && (bfd = open(bfile, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", bfile);
	c = sock ? redisConnectUnix(sock) : redisConnect("127.0.0.1", port);
	if (c == NULL || c->err)
		fatal(EXIT_SYSTEM, "unable to connect: %s", c ? c->errstr : "?");
	for (i = 0; i < argc; i++)
		redisAppendCommand(c, shard ? "SSUBSCRIBE %s" : "SUBSCRIBE %s",
		    argv[i]);
	for (;;) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			fatal(EXIT_SYSTEM, "connection: %s", c->errstr);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
		    strstr(r->element[0]->str, "message") == NULL) {
			freeReplyObject(r);	/* subscribe confirmations */
			continue;
		}
		if (bfd >= 0 && strcmp(r->element[1]->str, argv[0]) == 0) {
			if (write_all(bfd, r->element[2]->str, r->element[2]->len) < 0)
				fatal_sys(EXIT_SYSTEM, "write %s", bfile);
			snprintf(line, sizeof line, " %zu\n", r->element[2]->len);
			if (write_all(1, r->element[1]->str, r->element[1]->len) < 0 ||
			    write_all(1, line, strlen(line)) < 0)
				fatal_sys(EXIT_SYSTEM, "write");
		} else if (write_all(1, r->element[1]->str, r->element[1]->len) < 0 ||
		    write_all(1, " ", 1) < 0 ||
		    write_all(1, r->element[2]->str, r->element[2]->len) < 0 ||
		    write_all(1, "\n", 1) < 0)
			fatal_sys(EXIT_SYSTEM, "write");
		seen++;
		if ((until && memmem(r->element[2]->str, r->element[2]->len,
		    until, strlen(until))) || seen == count) {
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
	}
	redisFree(c);
	return 0;
}
