/*
 * ws-sink - a WebSocket server for the tests of exotel-replay (and of
 * anything else that speaks WebSocket as a client).
 *
 *   ws-sink [-e] [-c close-code] [-n messages] [-r http-status]
 *           [-C cert -K key] -p port -d dir
 *
 * Writes, in dir: "ready" once listening; "K.msg" per connection K (0, 1,
 * ... in upgrade order) holding each message received, text followed by
 * "\n" and binary raw; "log", one line per event:
 *   K open uri=/path?query auth=<Authorization header or ->
 *   K refused status=S auth=...
 *   K message type=text|binary bytes=N frames=F   (F: WebSocket frames)
 *   K peer-close code=C reason=R
 *   K closed
 * -e echoes each text message back; -c closes the connection with that
 * code (reason "sink") once a message containing "event":"stop" arrives,
 * or after -n messages.  -r refuses every upgrade with that HTTP status.
 * Runs until killed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "io.h"
#include "logline.h"
#include "msg.h"
#include "num.h"

struct pending {
	struct pending *next;
	size_t len;
	unsigned char buf[];		/* LWS_PRE, then the message */
};

struct pss {
	int index;
	int fd;				/* K.msg */
	size_t bytes;
	int frames;
	int midframe;			/* the last piece left frame payload */
	int nmsg;
	int closing;
	unsigned char *cur;		/* owned; the text message so far */
	size_t curlen;
	struct pending *q, **qtail;	/* owned; echoes to send */
};

static const char *dir;
static int echo, close_code, close_after, refuse;
static int next_index, log_fd = -1;
static volatile sig_atomic_t done;

static void
logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logline_v(log_fd, "", fmt, ap);
	va_end(ap);
}

/* The Authorization header and URI with its query, during the upgrade. */
static void
request(struct lws *wsi, char *uri, size_t urilen, char *auth, size_t alen)
{
	char arg[512];
	int i, n;
	size_t u;

	if (lws_hdr_copy(wsi, uri, (int)urilen, WSI_TOKEN_GET_URI) < 0)
		snprintf(uri, urilen, "?");
	u = strlen(uri);
	for (i = 0; (n = lws_hdr_copy_fragment(wsi, arg, sizeof arg,
	    WSI_TOKEN_HTTP_URI_ARGS, i)) >= 0 && u + 2 < urilen; i++) {
		snprintf(uri + u, urilen - u, "%c%.*s", i ? '&' : '?', n, arg);
		u = strlen(uri);
	}
	if (lws_hdr_copy(wsi, auth, (int)alen,
	    WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
		snprintf(auth, alen, "-");
}

static void
queue(struct pss *s, const void *p, size_t n)
{
	struct pending *e = malloc(sizeof *e + LWS_PRE + n);

	if (e == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	e->next = NULL;
	e->len = n;
	memcpy(e->buf + LWS_PRE, p, n);
	*s->qtail = e;
	s->qtail = &e->next;
}

static void
received(struct lws *wsi, struct pss *s, const void *in, size_t len)
{
	int bin = lws_frame_is_binary(wsi);

	if (!s->midframe)
		s->frames++;
	s->midframe = lws_remaining_packet_payload(wsi) > 0;
	s->bytes += len;
	if (write_all(s->fd, in, len) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write messages");
	if (!bin) {
		if ((s->cur = realloc(s->cur, s->curlen + len + 1)) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
		memcpy(s->cur + s->curlen, in, len);
		s->curlen += len;
	}
	if (!lws_is_final_fragment(wsi))
		return;
	if (!bin && write_all(s->fd, "\n", 1) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write messages");
	logf_("%d message type=%s bytes=%zu frames=%d", s->index,
	    bin ? "binary" : "text", s->bytes, s->frames);
	s->nmsg++;
	if (echo && !bin) {
		queue(s, s->cur, s->curlen);
		lws_callback_on_writable(wsi);
	}
	if (close_code && ((close_after && s->nmsg >= close_after) ||
	    (!close_after && !bin && memmem(s->cur, s->curlen,
	    "\"event\":\"stop\"", 14)))) {
		s->closing = 1;
		lws_callback_on_writable(wsi);
	}
	s->curlen = 0;
	s->bytes = 0;
	s->frames = 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *s = user;
	struct pending *e;
	char uri[1024], auth[512], path[4096];
	const unsigned char *p = in;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		lws_return_http_status(wsi, 404, NULL);
		return -1;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		request(wsi, uri, sizeof uri, auth, sizeof auth);
		s->index = next_index++;
		s->fd = -1;
		if (refuse) {
			logf_("%d refused status=%d auth=%s", s->index, refuse,
			    auth);
			lws_return_http_status(wsi, (unsigned)refuse, NULL);
			return -1;
		}
		logf_("%d open uri=%s auth=%s", s->index, uri, auth);
		break;
	case LWS_CALLBACK_ESTABLISHED:
		snprintf(path, sizeof path, "%s/%d.msg", dir, s->index);
		s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (s->fd < 0)
			fatal_sys(EXIT_SYSTEM, "unable to open %s", path);
		s->qtail = &s->q;
		break;
	case LWS_CALLBACK_RECEIVE:
		received(wsi, s, in, len);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if ((e = s->q) != NULL) {
			s->q = e->next;
			if (!s->q)
				s->qtail = &s->q;
			if (lws_write(wsi, e->buf + LWS_PRE, e->len,
			    LWS_WRITE_TEXT) < (int)e->len) {
				free(e);
				return -1;
			}
			free(e);
			lws_callback_on_writable(wsi);
			break;
		}
		if (s->closing) {
			lws_close_reason(wsi, (enum lws_close_status)close_code,
			    (unsigned char *)"sink", 4);
			return -1;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		logf_("%d peer-close code=%d reason=%.*s", s->index,
		    len >= 2 ? p[0] << 8 | p[1] : 1005,
		    len > 2 ? (int)len - 2 : 0, len > 2 ? (const char *)p + 2 :
		    "");
		break;
	case LWS_CALLBACK_CLOSED:
		logf_("%d closed", s->index);
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		while ((e = s->q) != NULL) {
			s->q = e->next;
			free(e);
		}
		free(s->cur);
		s->cur = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "sink", callback, sizeof(struct pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
stop(int sig)
{
	(void)sig;
	done = 1;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	const char *cert = NULL, *key = NULL;
	char path[4096];
	int ch, port = -1, fd;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "c:C:d:eK:n:p:r:")) != -1) {
		switch (ch) {
		case 'c':
			close_code = opt_int("-c", optarg, 1000, 4999);
			break;
		case 'C':
			cert = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'e':
			echo = 1;
			break;
		case 'K':
			key = optarg;
			break;
		case 'n':
			close_after = opt_int("-n", optarg, 1, 1000000);
			break;
		case 'p':
			port = opt_int("-p", optarg, 1, 65535);
			break;
		case 'r':
			refuse = opt_int("-r", optarg, 200, 599);
			break;
		default:
			usage_exit("ws-sink [-e] [-c close-code] [-n messages] "
			    "[-r http-status] [-C cert -K key] -p port -d dir");
		}
	}
	if (port < 0 || dir == NULL)
		usage_exit("ws-sink [-e] [-c close-code] [-n messages] "
		    "[-r http-status] [-C cert -K key] -p port -d dir");
	snprintf(path, sizeof path, "%s/log", dir);
	if ((log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", path);
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	if (cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
	}
	if ((ctx = lws_create_context(&info)) == NULL)
		fatal(EXIT_SYSTEM, "unable to listen on port %d", port);
	snprintf(path, sizeof path, "%s/ready", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to create %s", path);
	close(fd);
	while (!done)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);
	return 0;
}
