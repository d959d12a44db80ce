/*
 * config.h - ws-accept's settings: an option, else the environment, else
 * the default (lib/setting.h).
 */
#ifndef CONFIG_H
#define CONFIG_H

#define USAGE "ws-accept [-nv] [-H host] [-p port] [-P path] [-c max-calls] " \
	"[-m max-message-bytes] [-C cert -K key] [-d notification-fd] " \
	"[-t handshake-seconds] [-i idle-seconds] [-T max-call-seconds] " \
	"[-D drain-seconds] [-a ack-frames] -- prog [args ...]"

/* After SIGTERM to a handler's group, seconds before SIGKILL. */
#define KILL_GRACE 5
/* After a handler exits, seconds to wait for its stdout to reach EOF. */
#define STDOUT_GRACE 2

struct config {
	const char *host;	/* borrowed from argv or the environment */
	int port;
	const char *path;	/* the WebSocket path, "/v1/ingest" */
	int max_calls;
	int max_per_ip;		/* calls at once from one client address, 0 no cap */
	int max_per_cred;	/* ... per Basic key or JWT sub, 0 no cap */
	long max_msg;		/* bytes of one reassembled message */
	const char *cert, *key;	/* TLS when both are set */
	int notify_fd;		/* -1: none */
	int handshake_s, idle_s, max_call_s, drain_s;
	int ack_frames;		/* native: ack every N binary frames, 0 off */
	const char *public_url;	/* the dynamic endpoint's answer, or NULL */
	const char *redis_url;	/* REDIS_URL, watched for /health, or NULL */
	char *const *argv;	/* the handler: prog args..., borrowed */
	int check_only;		/* -n: check the configuration, then exit */
};

/* Fill *cfg from the environment and argv; exits 100 on a bad value. */
void config_load(struct config *cfg, int argc, char **argv);

#endif
