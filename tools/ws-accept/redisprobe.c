/*
 * redisprobe.c - see redisprobe.h.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "msg.h"
#include "redisprobe.h"

static struct sockaddr_storage addr;
static socklen_t addrlen;
static int configured, tls;
static enum redis_state state = REDIS_UNKNOWN;

static int fd = -1;
static int sent;		/* PING written, waiting for a reply */
static double started, next_probe;
static char why[96];		/* why the last probe failed */

int
redisprobe_init(const char *url, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	char host[256], port[8] = "6379";
	const char *p, *e, *at;
	size_t n;
	int r;

	if (url == NULL)
		return 0;
	if (!strncmp(url, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&addr;

		p = url + 5;
		if (!strncmp(p, "//", 2))
			p += 2;
		n = strcspn(p, "?");
		if (n == 0 || n >= sizeof un->sun_path) {
			snprintf(err, errlen, "REDIS_URL: bad unix socket path");
			return -1;
		}
		memset(&addr, 0, sizeof addr);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, p, n);
		addrlen = sizeof *un;
		configured = 1;
		return 0;
	}
	if (!strncmp(url, "redis://", 8))
		p = url + 8;
	else if (!strncmp(url, "rediss://", 9))
		p = url + 9, tls = 1;
	else {
		snprintf(err, errlen, "REDIS_URL: want redis://, rediss:// or "
		    "unix://");
		return -1;
	}
	e = p + strcspn(p, "/?");
	if ((at = memchr(p, '@', (size_t)(e - p))) != NULL)
		p = at + 1;		/* credentials: not needed to PING */
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(e - p));

		if (rb == NULL || (size_t)(rb - p - 1) >= sizeof host)
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)(rb - p - 1), p + 1);
		p = rb + 1;
	} else {
		n = strcspn(p, ":/?");
		if (n >= sizeof host)
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)n, p);
		p += n;
	}
	if (*p == ':') {
		n = strcspn(p + 1, "/?");
		if (n == 0 || n >= sizeof port)
			goto bad;
		snprintf(port, sizeof port, "%.*s", (int)n, p + 1);
	}
	if (host[0] == '\0')
		snprintf(host, sizeof host, "127.0.0.1");
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "REDIS_URL: unable to resolve the host: %s",
		    gai_strerror(r));
		return -1;
	}
	memcpy(&addr, res->ai_addr, res->ai_addrlen);
	addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	configured = 1;
	return 0;
bad:
	snprintf(err, errlen, "REDIS_URL: unable to read host and port");
	return -1;
}

/* The probe ended with verdict st (and reason w when down). */
static void
verdict(enum redis_state st, const char *w)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	sent = 0;
	if (st == REDIS_DOWN && state != REDIS_DOWN)
		warnx_("redis unreachable: %s: /health says 503", w);
	else if (st == REDIS_UP && state == REDIS_DOWN)
		info("redis reachable again");
	state = st;
}

void
redisprobe_tick(double now)
{
	struct pollfd pf;
	char buf[64];
	int err = 0;
	socklen_t el = sizeof err;
	ssize_t r;

	if (!configured)
		return;
	if (fd < 0) {
		if (now < next_probe)
			return;
		/* Down or not known yet: look again at the next tick. */
		next_probe = now + (state == REDIS_UP ? REDIS_PROBE_S : 0);
		started = now;
		fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd < 0) {
			verdict(REDIS_DOWN, strerror(errno));
			return;
		}
		if (connect(fd, (struct sockaddr *)&addr, addrlen) < 0 &&
		    errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(why, sizeof why, "connect: %s", strerror(errno));
			verdict(REDIS_DOWN, why);
			return;
		}
	}
	pf.fd = fd;
	pf.events = sent ? POLLIN : POLLOUT;
	pf.revents = 0;
	if (poll(&pf, 1, 0) > 0) {
		if (!sent) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
			    err != 0) {
				snprintf(why, sizeof why, "connect: %s",
				    strerror(err ? err : errno));
				verdict(REDIS_DOWN, why);
				return;
			}
			if (tls) {
				verdict(REDIS_UP, NULL);
				return;
			}
			if (write(fd, "PING\r\n", 6) != 6) {
				verdict(REDIS_DOWN, "write failed");
				return;
			}
			sent = 1;
			/* A local server answers at once: look again now. */
			pf.events = POLLIN;
			if (poll(&pf, 1, 0) <= 0)
				goto wait;
		}
		r = read(fd, buf, sizeof buf);
		if (r > 0 && (buf[0] == '+' || buf[0] == '-'))
			verdict(REDIS_UP, NULL);
		else
			verdict(REDIS_DOWN, r == 0 ? "connection closed" :
			    "not a Redis reply");
		return;
	}
wait:
	if (now - started >= REDIS_PROBE_S)
		verdict(REDIS_DOWN, sent ? "no reply to PING" :
		    "connect timed out");
}

enum redis_state
redis_state(void)
{
	return state;
}

void
redisprobe_free(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}
