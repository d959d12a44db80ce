/*
 * config.c - defaults, environment, options.  A bad value from either
 * source is refused at start with a message naming it (exit 100).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "num.h"

/* An integer from the environment variable name, or def when unset. */
static int
env_int(const char *name, long long min, long long max, int def)
{
	const char *v = env_get(name);

	return v ? opt_int(name, v, min, max) : def;
}

void
config_load(struct config *cfg, int argc, char **argv)
{
	const char *v;
	int c;

	cfg->host = env_get("HOST") ? env_get("HOST") : "0.0.0.0";
	cfg->port = env_int("PORT", 0, 65535, 8443);
	cfg->path = env_get("INGEST_PATH") ? env_get("INGEST_PATH") : "/v1/ingest";
	cfg->max_calls = env_int("MAX_CALLS", 1, 100000, 500);
	/* 256 KiB: a 20 ms Exotel message is ~600 bytes; 2.7 s of 24 kHz PCM16. */
	cfg->max_msg = env_int("MAX_MESSAGE_BYTES", 1024, 64 << 20, 256 << 10);
	cfg->cert = env_get("SSL_CERT_PATH");
	cfg->key = env_get("SSL_KEY_PATH");
	cfg->notify_fd = -1;
	/* Exotel gives the handshake 10 seconds. */
	cfg->handshake_s = env_int("HANDSHAKE_TIMEOUT", 1, 3600, 10);
	cfg->idle_s = env_int("IDLE_TIMEOUT", 0, 86400, 30);
	/* An Exotel session lasts up to 60 minutes; one more for slack. */
	cfg->max_call_s = env_int("MAX_CALL_SECONDS", 0, 7 * 86400, 3660);
	cfg->drain_s = env_int("DRAIN_TIMEOUT", 0, 86400, 30);
	cfg->ack_frames = env_int("ACK_FRAMES", 0, 1000000, 50);
	cfg->public_url = env_get("PUBLIC_URL");

	while ((c = getopt(argc, argv, "+nvhH:p:P:c:m:C:K:d:t:i:T:D:a:")) != -1) {
		switch (c) {
		case 'n':
			cfg->check_only = 1;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		case 'H':
			cfg->host = optarg;
			break;
		case 'p':
			cfg->port = opt_int("port", optarg, 0, 65535);
			break;
		case 'P':
			cfg->path = optarg;
			break;
		case 'c':
			cfg->max_calls = opt_int("max-calls", optarg, 1, 100000);
			break;
		case 'm':
			cfg->max_msg = opt_int("max-message-bytes", optarg, 1024,
			    64 << 20);
			break;
		case 'C':
			cfg->cert = optarg;
			break;
		case 'K':
			cfg->key = optarg;
			break;
		case 'd':
			cfg->notify_fd = opt_int("notification-fd", optarg, 3,
			    1 << 20);
			break;
		case 't':
			cfg->handshake_s = opt_int("handshake-seconds", optarg,
			    1, 3600);
			break;
		case 'i':
			cfg->idle_s = opt_int("idle-seconds", optarg, 0, 86400);
			break;
		case 'T':
			cfg->max_call_s = opt_int("max-call-seconds", optarg, 0,
			    7 * 86400);
			break;
		case 'D':
			cfg->drain_s = opt_int("drain-seconds", optarg, 0, 86400);
			break;
		case 'a':
			cfg->ack_frames = opt_int("ack-frames", optarg, 0,
			    1000000);
			break;
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
