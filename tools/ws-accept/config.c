/*
 * config.c - ws-accept's settings: each an option, else its environment
 * variable, else the default (lib/setting.h).  A bad value from either
 * source is refused at start with a message naming it (exit 100).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "num.h"
#include "setting.h"

/* --help: the options, one a line, with their variables. */
static const char help[] =
    "  -n                      check the configuration and exit\n"
    "  -v                      verbose (debug lines)\n"
    "  -H host                 address to listen on (HOST, 0.0.0.0)\n"
    "  -p port                 port, 0 for any (PORT, 8443)\n"
    "  -P path                 WebSocket path (INGEST_PATH, /v1/ingest)\n"
    "  -c max-calls            calls at once (MAX_CALLS, 500)\n"
    "  -m max-message-bytes    one message, each way (MAX_MESSAGE_BYTES, 262144)\n"
    "  -C cert -K key          TLS files (SSL_CERT_PATH, SSL_KEY_PATH)\n"
    "  -d notification-fd      write a newline there once listening\n"
    "  -t handshake-seconds    (HANDSHAKE_TIMEOUT, 10)\n"
    "  -i idle-seconds         seconds without media (IDLE_TIMEOUT, 30)\n"
    "  -T max-call-seconds     (MAX_CALL_SECONDS, 3660)\n"
    "  -D drain-seconds        after SIGTERM (DRAIN_TIMEOUT, 30)\n"
    "  -a ack-frames           native: ack every N frames (ACK_FRAMES, 50)\n"
    "  environment only: MAX_CALLS_PER_IP, MAX_CALLS_PER_CREDENTIAL,\n"
    "  PUBLIC_URL, REDIS_URL, SUPPORT_EXOTEL, EXOTEL_ALLOW_IPS,\n"
    "  EXOTEL_BASIC_AUTH, TRUSTED_PROXIES, JWT_SECRET, JWT_PUBLIC_KEY,\n"
    "  JWT_AUDIENCE, JWT_ISSUER, JWT_LEEWAY, JWT_MAX_LIFETIME (see ws-accept(1))\n";

/* Option arguments as given (borrowed from argv), NULL when not given. */
struct opts {
	const char *host, *port, *path, *max_calls, *max_msg, *cert, *key;
	const char *notify_fd, *handshake, *idle, *max_call, *drain, *ack;
};

void
config_load(struct config *cfg, int argc, char **argv)
{
	struct opts o;
	const char *v;
	int c;

	memset(&o, 0, sizeof o);
	memset(cfg, 0, sizeof *cfg);
	std_options(argc, argv, USAGE, help);
	while ((c = getopt(argc, argv, "+nvhH:p:P:c:m:C:K:d:t:i:T:D:a:")) != -1) {
		switch (c) {
		case 'n': cfg->check_only = 1; break;
		case 'v': msg_verbosity = 2; break;
		case 'H': o.host = optarg; break;
		case 'p': o.port = optarg; break;
		case 'P': o.path = optarg; break;
		case 'c': o.max_calls = optarg; break;
		case 'm': o.max_msg = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'd': o.notify_fd = optarg; break;
		case 't': o.handshake = optarg; break;
		case 'i': o.idle = optarg; break;
		case 'T': o.max_call = optarg; break;
		case 'D': o.drain = optarg; break;
		case 'a': o.ack = optarg; break;
		case 'h':
		default:
			usage_exit(USAGE);
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		usage_exit(USAGE);
	cfg->argv = argv;

	cfg->host = setting_str(o.host, "HOST", "0.0.0.0");
	cfg->port = (int)setting_int("-p", o.port, "PORT", 0, 65535, 8443);
	cfg->path = setting_str(o.path, "INGEST_PATH", "/v1/ingest");
	cfg->max_calls = (int)setting_int("-c", o.max_calls, "MAX_CALLS", 1,
	    100000, 500);
	/* 0: no cap.  Exotel's media servers are few addresses: see the man page. */
	cfg->max_per_ip = (int)setting_int(NULL, NULL, "MAX_CALLS_PER_IP",
	    0, 100000, 0);
	cfg->max_per_cred = (int)setting_int(NULL, NULL, "MAX_CALLS_PER_CREDENTIAL",
	    0, 100000, 0);
	/* 256 KiB: a 20 ms Exotel message is ~600 bytes; 2.7 s of 24 kHz PCM16. */
	cfg->max_msg = setting_int("-m", o.max_msg, "MAX_MESSAGE_BYTES", 1024,
	    64 << 20, 256 << 10);
	cfg->cert = setting_str(o.cert, "SSL_CERT_PATH", NULL);
	cfg->key = setting_str(o.key, "SSL_KEY_PATH", NULL);
	cfg->notify_fd = (int)setting_int("-d", o.notify_fd, NULL, 3, 1 << 20,
	    -1);
	/* Exotel gives the handshake 10 seconds. */
	cfg->handshake_s = (int)setting_int("-t", o.handshake, "HANDSHAKE_TIMEOUT",
	    1, 3600, 10);
	cfg->idle_s = (int)setting_int("-i", o.idle, "IDLE_TIMEOUT", 0, 86400,
	    30);
	/* An Exotel session lasts up to 60 minutes; one more for slack. */
	cfg->max_call_s = (int)setting_int("-T", o.max_call, "MAX_CALL_SECONDS",
	    0, 7 * 86400, 3660);
	cfg->drain_s = (int)setting_int("-D", o.drain, "DRAIN_TIMEOUT", 0,
	    86400, 30);
	cfg->ack_frames = (int)setting_int("-a", o.ack, "ACK_FRAMES", 0,
	    1000000, 50);
	cfg->public_url = setting_str(NULL, "PUBLIC_URL", NULL);
	cfg->redis_url = setting_str(NULL, "REDIS_URL", NULL);

	if (cfg->path[0] != '/')
		fatal(EXIT_USAGE, "invalid path: %s (must start with /)",
		    cfg->path);
	if ((cfg->cert == NULL) != (cfg->key == NULL))
		fatal(EXIT_USAGE, "TLS needs both SSL_CERT_PATH (-C) and "
		    "SSL_KEY_PATH (-K)");
	if (cfg->cert && access(cfg->cert, R_OK) < 0)
		fatal_sys(EXIT_USAGE, "SSL_CERT_PATH %s", cfg->cert);
	if (cfg->key && access(cfg->key, R_OK) < 0)
		fatal_sys(EXIT_USAGE, "SSL_KEY_PATH %s", cfg->key);
	v = cfg->public_url;
	if (v && strncmp(v, "ws://", 5) && strncmp(v, "wss://", 6))
		fatal(EXIT_USAGE, "invalid PUBLIC_URL: %s (want ws:// or wss://)",
		    v);
}
