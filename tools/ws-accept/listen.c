/*
 * listen.c - the listening sockets and what each connection goes through
 * before libwebsockets has it.
 *
 * ws-accept opens its own listeners so that HOST means exactly what it
 * says (lws 4.1.6 bound 127.0.0.1 on every interface and listened nowhere
 * for a name): a numeric address binds that address only (IPv6 with
 * IPV6_V6ONLY), 0.0.0.0 every IPv4 address, :: every IPv4 and IPv6
 * address, and a name every address it resolves to (localhost: 127.0.0.1
 * and ::1).  Any failure is fatal at start: readiness is never signalled
 * without every listener.
 *
 * A plain connection's request head is read here first (at most
 * HTTPHEAD_MAX bytes, within the handshake timeout) and judged by
 * httphead_check(); a bad one gets its status and a log line, a good one
 * is handed to lws with the bytes already read.  Under TLS lws reads the
 * head itself (ws-accept(1), CAVEATS).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "httphead.h"
#include "listen.h"
#include "msg.h"
#include "server.h"

#define LISTEN_MAX 8
/* Between two looks at a partial head. */
#define PREHEAD_PAUSE_US (20 * 1000)
/* Connections whose head is still arriving, at most (slow clients). */
#define PREHEAD_MAX 1024

static int lfd[LISTEN_MAX], nlisten;
static int nprehead;

/* A connection whose head is being read; owned by its raw wsi. */
struct prehead {
	struct lws *wsi;
	lws_sorted_usec_list_t sul;	/* the pause after a partial head */
	int fd;
	int refused;		/* answered: the rest is read and dropped */
	int done;		/* handed to lws or finished: close quietly */
	char peer[64];
	size_t len;
	char buf[HTTPHEAD_MAX + 1];
};

static int
open_one(const struct addrinfo *ai, int port, int dual, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	int fd, one = 1, v6only = !dual;

	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof v6only);
	if (bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0 ||
	    listen(fd, 511) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
listen_open(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl;
	int r, fd, dual = !strcmp(host, "::");

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "unable to resolve %s: %s", host,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (nlisten == LISTEN_MAX)
			break;
		if ((fd = open_one(ai, port, dual, err, errlen)) < 0) {
			freeaddrinfo(res);
			listen_close();
			return -1;
		}
		lfd[nlisten++] = fd;
		if (port == 0) {
			/* Every address on the port the kernel chose first. */
			sl = sizeof ss;
			getsockname(fd, (struct sockaddr *)&ss, &sl);
			port = ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	freeaddrinfo(res);
	if (nlisten == 0) {
		snprintf(err, errlen, "%s has no IPv4 or IPv6 address", host);
		return -1;
	}
	return port;
}

void
listen_close(void)
{
	while (nlisten > 0)
		close(lfd[--nlisten]);
}

int
listen_adopt(struct lws_vhost *internal)
{
	lws_sock_file_fd_type u;
	int i;

	for (i = 0; i < nlisten; i++) {
		u.filefd = lfd[i];
		if (lws_adopt_descriptor_vhost(internal,
		    LWS_ADOPT_RAW_FILE_DESC, u, LWSPROTO_LISTEN, NULL) == NULL)
			return -1;
	}
	nlisten = 0;		/* lws owns them now */
	return 0;
}

/* Answer a bad head with status and close; one log line. */
static void
prehead_refuse(struct prehead *ph, int status, const char *why)
{
	char resp[256];
	int n;

	info("refused peer=%s status=%d reason=\"%s\"", ph->peer, status, why);
	counters.http_refused++;
	n = snprintf(resp, sizeof resp, "HTTP/1.1 %d %s\r\n"
	    "content-type: application/json\r\ncontent-length: %zu\r\n"
	    "connection: close\r\n\r\n{\"error\":\"%s\"}\n", status,
	    status == 431 ? "Request Header Fields Too Large" :
	    status == 408 ? "Request Timeout" :
	    status == 505 ? "HTTP Version Not Supported" : "Bad Request",
	    strlen(why) + 13, why);
	/* The head was only peeked at: take it, then answer. */
	if (read(ph->fd, ph->buf, ph->len) < 0)
		debug("peer=%s read", ph->peer);
	/* A fresh socket's buffer takes this whole; a failure changes nothing. */
	if (write(ph->fd, resp, (size_t)n) < 0)
		debug("peer=%s refusal not sent", ph->peer);
	/*
	 * Closing with unread input would send a reset that destroys the
	 * answer before the client reads it: end our side, then read and
	 * drop what the client still sends, until its EOF or the timeout.
	 */
	shutdown(ph->fd, SHUT_WR);
	ph->refused = 1;
}

/* The pause after a partial head is over: look again. */
static void
prehead_resume(lws_sorted_usec_list_t *sul)
{
	struct prehead *ph = lws_container_of(sul, struct prehead, sul);

	lws_rx_flow_control(ph->wsi, 1);
}

/*
 * More of a head arrived.  It is only peeked at: once whole and good, lws
 * gets the connection with every byte still in the socket, and reads the
 * request as if it had accepted it (lws 4.1.6 spins on a connection handed
 * over with bytes already read, lws_adopt_socket_vhost_readbuf).  While
 * the head is partial the socket stays readable, so it is not polled for
 * PREHEAD_PAUSE_US between looks.  -1: done with this raw wsi.
 */
static int
prehead_read(struct prehead *ph)
{
	const char *why = NULL;
	ssize_t r;
	size_t end;
	int st, fd;

	if (ph->refused) {
		r = read(ph->fd, ph->buf, sizeof ph->buf);
		return r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)) ?
		    0 : -1;
	}
	r = recv(ph->fd, ph->buf, sizeof ph->buf - 1, MSG_PEEK);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		return -1;
	ph->len = (size_t)r;
	if ((end = httphead_end(ph->buf, ph->len)) == 0) {
		if (ph->len < sizeof ph->buf - 1) {
			lws_rx_flow_control(ph->wsi, 0);
			lws_sul_schedule(srv.ctx, 0, &ph->sul, prehead_resume,
			    PREHEAD_PAUSE_US);
			return 0;
		}
		prehead_refuse(ph, 431, "request header too large");
		return 0;
	}
	if ((st = httphead_check(ph->buf, end, &why)) != 0) {
		prehead_refuse(ph, st, why);
		return 0;
	}
	/* The raw wsi closes ph->fd; lws gets its own descriptor. */
	if ((fd = fcntl(ph->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		warn_sys("peer=%s dup", ph->peer);
		return -1;
	}
	if (lws_adopt_socket_vhost(srv.vh, fd) == NULL)
		debug("peer=%s lws did not adopt the connection", ph->peer);
	return -1;
}

static void
peer_name(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char h[INET6_ADDRSTRLEN], s[8];

	snprintf(out, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, s, sizeof s,
	    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(out, len, "%s:%s", h, s);
}

static void
prehead_start(int fd)
{
	struct prehead *ph;
	struct lws *w;

	if (nprehead >= PREHEAD_MAX || (ph = malloc(sizeof *ph)) == NULL) {
		debug("too many connections in their handshake: closed");
		close(fd);
		return;
	}
	memset(&ph->sul, 0, sizeof ph->sul);
	ph->fd = fd;
	ph->len = 0;
	ph->refused = ph->done = 0;
	peer_name(fd, ph->peer, sizeof ph->peer);
	if ((w = internal_adopt(fd, LWSPROTO_PREHEAD, ph)) == NULL) {
		free(ph);	/* lws closed fd */
		return;
	}
	ph->wsi = w;
	nprehead++;
	lws_set_timeout(w, PENDING_TIMEOUT_USER_OK, srv.cfg.handshake_s);
}

int
listen_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	int fd, i;

	(void)user, (void)in, (void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	/* A few per wake-up, so a flood cannot starve the calls. */
	for (i = 0; i < 32; i++) {
		fd = accept4(lws_get_socket_fd(wsi), NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				warn_sys("accept");
			break;
		}
		if (srv.cfg.cert) {
			if (lws_adopt_socket_vhost(srv.vh, fd) == NULL)
				debug("lws did not adopt a connection");
		} else {
			prehead_start(fd);
		}
	}
	return 0;
}

int
prehead_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct prehead *ph = lws_get_opaque_user_data(wsi);
	int r;

	(void)user, (void)in, (void)len;
	if (ph == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if ((r = prehead_read(ph)) < 0)
			ph->done = 1;
		return r;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		lws_set_opaque_user_data(wsi, NULL);
		lws_sul_cancel(&ph->sul);
		if (!ph->done && !ph->refused && ph->len > 0)
			/* The handshake timeout, part of a head in: say so. */
			prehead_refuse(ph, 408, "request header not finished "
			    "within the handshake timeout");
		nprehead--;
		free(ph);
		return 0;
	default:
		return 0;
	}
}
