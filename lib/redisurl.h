/*
 * redisurl.h - REDIS_URL: where the Redis server is and how to log in.
 * Shared by every tool that talks to Redis (redis-pub, redis-rec,
 * play-read, ingest-check); plain parsing, so lib/ does not link hiredis.
 *
 *	redis://[[user]:password@]host[:port][/db]
 *	unix://[[user]:password@]/path/to/socket[?db=N]
 */
#ifndef REDISURL_H
#define REDISURL_H

struct redis_url {
	int is_unix;
	char host[256];		/* TCP: name or address, IPv6 without brackets */
	int port;		/* TCP: 1..65535, default 6379 */
	char path[256];		/* unix: the socket */
	char user[256];		/* empty: AUTH with the password alone */
	char pass[256];
	int has_pass;		/* AUTH is sent after connect */
	long db;		/* SELECT is sent after connect when not 0 */
};

/*
 * Parse s (borrowed) into *u.  Returns 0, or -1 with a static reason in
 * *why for the usage message.
 */
int url_parse(const char *s, struct redis_url *u, const char **why);

/* "host:port" or the socket path, for log lines; borrowed from u. */
const char *url_where(const struct redis_url *u);

#endif
