/*
 * cluster.h - what redis-pub knows of a Redis Cluster: its nodes.
 *
 * A call's commands go over one connection (conn.h).  In a cluster that
 * connection must be to the primary of the slot of the key being written,
 * and a MOVED reply says which node that is.  When the node in use dies
 * (a primary killed: its replica is promoted a few seconds later, and any
 * live node then redirects to it) the connection needs another node to
 * ask: the nodes learnt from CLUSTER SLOTS (asked in the handshake),
 * from MOVED replies and from REDIS_NODES.
 *
 * Nothing here does I/O; conn.c acts on what these functions decide.
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stdint.h>
#include <hiredis/hiredis.h>

#include "redisurl.h"

/*
 * Nodes remembered at most: 3 primaries with a replica each is 6; in a
 * larger cluster the first this many are plenty to find one alive.
 */
#define CLUSTER_NODES_MAX 128

enum { CLUSTER_UNKNOWN, CLUSTER_NO, CLUSTER_YES };

struct cluster_node {
	char host[256];		/* as the cluster names it (an address) */
	int port;
	int64_t failed_ms;	/* when a connection to it last failed; 0: never */
};

struct cluster {
	int state;		/* CLUSTER_UNKNOWN until the first handshake says */
	int want_slots;		/* ask CLUSTER SLOTS in the next handshake */
	int n, next;		/* nodes known; where the rotation goes next */
	struct cluster_node node[CLUSTER_NODES_MAX];
};

void cluster_init(struct cluster *cl);

/*
 * "host:port,host:port,..." (borrowed; IPv6 as [addr]:port) as seed
 * nodes.  Returns 0, or -1 with a static reason in *why.
 */
int cluster_seeds(struct cluster *cl, const char *list, const char **why);

/* The index of host:port (borrowed), added when new; -1 when the table is full. */
int cluster_node(struct cluster *cl, const char *host, int port);

/* Learn the nodes, primaries and replicas, of a CLUSTER SLOTS reply (borrowed). */
void cluster_learn(struct cluster *cl, const redisReply *r);

/*
 * Parse "MOVED slot host:port" into host (size hostsz; empty when the
 * reply names the port alone) and *port.  Returns 0, or -1 when err
 * (borrowed) is not one.
 */
int cluster_moved(const char *err, char *host, size_t hostsz, int *port);

/*
 * Where to try after the node at *at failed at now_ms: the next node
 * known, the failed one and those failed within the last 5 s skipped
 * while others remain.  Updates *at's host and port.
 */
void cluster_next(struct cluster *cl, struct redis_url *at, int64_t now_ms);

/* Note that host:port failed (a refused connect, a lost connection). */
void cluster_failed(struct cluster *cl, const char *host, int port,
    int64_t now_ms);

/* Whether host:port failed within the last ms milliseconds. */
int cluster_recently_failed(const struct cluster *cl, const char *host,
    int port, int64_t now_ms, int ms);

#endif
