/*
 * cluster.c - Redis Cluster nodes and slots.  See cluster.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "num.h"

void
cluster_init(struct cluster *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->state = CLUSTER_UNKNOWN;
	cl->want_slots = 1;
}

int
cluster_node(struct cluster *cl, const char *host, int port)
{
	int i;

	for (i = 0; i < cl->n; i++)
		if (cl->node[i].port == port && strcmp(cl->node[i].host, host) == 0)
			return i;
	if (cl->n == CLUSTER_NODES_MAX || strlen(host) >= sizeof cl->node[0].host)
		return -1;
	snprintf(cl->node[cl->n].host, sizeof cl->node[0].host, "%s", host);
	cl->node[cl->n].port = port;
	cl->node[cl->n].failed_ms = 0;
	return cl->n++;
}

int
cluster_seeds(struct cluster *cl, const char *list, const char **why)
{
	struct redis_url u;
	char one[300];
	const char *s = list;
	size_t n;

	while (*s) {
		n = strcspn(s, ", ");
		if (n == 0) {
			s++;
			continue;
		}
		/* One parser for addresses: the URL's, without user or db. */
		if (n + 8 >= sizeof one || memchr(s, '@', n) || memchr(s, '/', n)) {
			*why = "want host:port,host:port,...";
			return -1;
		}
		snprintf(one, sizeof one, "redis://%.*s", (int)n, s);
		if (url_parse(one, &u, why) < 0)
			return -1;
		if (cluster_node(cl, u.host, u.port) < 0) {
			*why = "too many nodes";
			return -1;
		}
		s += n;
	}
	return 0;
}

/* A node entry of CLUSTER SLOTS: [host, port, id, ...]; its index or -1. */
static int
learn_node(struct cluster *cl, const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->integer < 1 || e->element[1]->integer > 65535)
		return -1;
	/* "?" (unknown endpoint) and "" (the node asked) are no address. */
	if (e->element[0]->len == 0 || strcmp(e->element[0]->str, "?") == 0)
		return -1;
	return cluster_node(cl, e->element[0]->str,
	    (int)e->element[1]->integer);
}

void
cluster_learn(struct cluster *cl, const redisReply *r)
{
	const redisReply *range;
	size_t i, j;

	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < r->elements; i++) {
		range = r->element[i];
		/* [first slot, last slot, primary, replica, ...] */
		if (range->type != REDIS_REPLY_ARRAY)
			continue;
		/* Replicas too: where to ask when their primary is gone. */
		for (j = 2; j < range->elements; j++)
			learn_node(cl, range->element[j]);
	}
}

int
cluster_moved(const char *err, char *host, size_t hostsz, int *port)
{
	const char *addr, *colon;
	long long v;

	if (strncmp(err, "MOVED ", 6) != 0 ||
	    (addr = strchr(err + 6, ' ')) == NULL ||
	    (colon = strrchr(++addr, ':')) == NULL ||
	    (size_t)(colon - addr) >= hostsz ||
	    parse_long(colon + 1, 1, 65535, &v) < 0)
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	*port = (int)v;
	return 0;
}

void
cluster_failed(struct cluster *cl, const char *host, int port, int64_t now_ms)
{
	int i = cluster_node(cl, host, port);

	if (i >= 0)
		cl->node[i].failed_ms = now_ms;
}

int
cluster_recently_failed(const struct cluster *cl, const char *host, int port,
    int64_t now_ms, int ms)
{
	int i;

	for (i = 0; i < cl->n; i++)
		if (cl->node[i].port == port && strcmp(cl->node[i].host, host) == 0)
			return cl->node[i].failed_ms &&
			    now_ms - cl->node[i].failed_ms < ms;
	return 0;
}

/* A node that failed this recently is tried again only when all have. */
#define FAILED_RECENTLY_MS 5000

void
cluster_next(struct cluster *cl, struct redis_url *at, int64_t now_ms)
{
	int i, k, pick = -1;

	if (cl->n == 0)
		return;
	for (k = 0; k < cl->n && pick < 0; k++) {
		i = (cl->next + k) % cl->n;
		if (!(cl->node[i].port == at->port &&
		    strcmp(cl->node[i].host, at->host) == 0) &&
		    !cluster_recently_failed(cl, cl->node[i].host,
		    cl->node[i].port, now_ms, FAILED_RECENTLY_MS))
			pick = i;
	}
	if (pick < 0)		/* all down lately: go round anyway */
		pick = cl->next % cl->n;
	cl->next = (pick + 1) % cl->n;
	snprintf(at->host, sizeof at->host, "%s", cl->node[pick].host);
	at->port = cl->node[pick].port;
}
