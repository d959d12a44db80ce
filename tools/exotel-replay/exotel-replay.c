/*
 * exotel-replay - stream a capture or an audio file to a WebSocket URL as
 * one or more Exotel calls (or native-protocol calls with -N), paced in
 * real time or faster.
 *
 * Reads: the file named (or stdin): an ndjson capture of media-stream
 * messages, sent line by line; or WAV, raw PCM16LE or raw mu-law audio,
 * wrapped into Exotel's messages (connected, start, media, stop).
 * Writes: each text message the server sends, one a line on stdout
 * ("K " in front with -n > 1); with -L, one line per message sent.
 * Exits 0 when every call streamed completely and closed normally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "io.h"
#include "msg.h"
#include "num.h"
#include "replay.h"
#include "setting.h"

static const char usage_text[] =
    "exotel-replay [-hkNqv] [-A tenant] [-a abort-ms] [-C ca-file] "
    "[-c chunk-ms] [-F format] [-f fragment-bytes] [-i call-id] "
    "[-L log-file] [-n calls] [-O bytes] [-p name=value] [-r rate] "
    "[-T token] [-t seconds] [-u key:token] [-w seconds] [-x factor] "
    "url [file]";

static const char help_text[] =
    "  -A tenant        account id (Exotel account_sid, native tenant_id)\n"
    "  -a abort-ms      drop the connection this long after the upgrade\n"
    "  -C ca-file       CA certificates for wss://\n"
    "  -c chunk-ms      audio per media message (default 20)\n"
    "  -F format        input format: ndjson, pcm, wav or mulaw\n"
    "  -f bytes         send messages in fragments of this size\n"
    "  -h, --help       print this help and exit\n"
    "  --version        print the version and exit\n"
    "  -i call-id       call id (call_sid / interaction_id)\n"
    "  -k               accept any server certificate\n"
    "  -L log-file      log each message sent, with its timing\n"
    "  -N               the native protocol (JWT, binary PCM)\n"
    "  -n calls         run this many calls at once; a summary line at the end\n"
    "  -O bytes         after the start, one text message of this size\n"
    "  -p name=value    a custom parameter of the start (also: the URL's query)\n"
    "  -q               quiet\n"
    "  -r rate          sample rate of raw audio input (default 8000)\n"
    "  -T token         Bearer token (EXOTEL_REPLAY_TOKEN)\n"
    "  -t seconds       give up after this long\n"
    "  -u key:token     Basic credentials (EXOTEL_REPLAY_BASIC_AUTH)\n"
    "  -v               debug\n"
    "  -w seconds       wait this long for the server's close after the end\n"
    "  -x factor        speed: 1 real time (default), 0 as fast as possible\n";

struct opts opt = {
	.format = FMT_AUTO,
	.rate = 8000,
	.chunk_ms = 20,
	.factor = 1,
	.ncalls = 1,
	.abort_ms = -1,
	.linger_s = 5,
};

static enum format
parse_format(const char *s)
{
	if (!strcmp(s, "ndjson"))
		return FMT_NDJSON;
	if (!strcmp(s, "pcm"))
		return FMT_PCM;
	if (!strcmp(s, "wav"))
		return FMT_WAV;
	if (!strcmp(s, "mulaw"))
		return FMT_MULAW;
	fatal(EXIT_USAGE, "invalid format: %s (want ndjson, pcm, wav or "
	    "mulaw)", s);
}

/* "Basic base64(key:token)".  Returns a malloc'd string, owned by opt. */
static char *
basic_auth(const char *kt)
{
	size_t n = strlen(kt);
	char *s;

	if (strchr(kt, ':') == NULL)
		fatal(EXIT_USAGE, "invalid -u: want key:token");
	if ((s = malloc(6 + BASE64_ENCODED_LEN(n) + 1)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	memcpy(s, "Basic ", 6);
	base64_encode(kt, n, s + 6);
	return s;
}

static char *
bearer_auth(const char *token)
{
	size_t n = strlen(token);
	char *s;

	if ((s = malloc(7 + n + 1)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	memcpy(s, "Bearer ", 7);
	memcpy(s + 7, token, n + 1);
	return s;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Exotel's applet URLs carry the credentials: wss://key:token@host/path.
 * Moves "key:token" (percent-decoded) out of url into a malloc'd string
 * returned to the caller (NULL when there is none); url is modified in
 * place and stays borrowed from argv.
 */
static char *
url_userinfo(char *url)
{
	char *scheme, *host, *at, *slash, *ui, *o;
	const char *i;
	size_t n;

	if ((scheme = strstr(url, "://")) == NULL)
		return NULL;
	host = scheme + 3;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	if (at == NULL)
		return NULL;
	n = (size_t)(at - host);
	if ((ui = malloc(n + 1)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	for (i = host, o = ui; i < at; i++) {
		if (*i == '%' && i + 2 < at && hexval(i[1]) >= 0 &&
		    hexval(i[2]) >= 0) {
			*o++ = (char)(hexval(i[1]) << 4 | hexval(i[2]));
			i += 2;
		} else
			*o++ = *i;
	}
	*o = '\0';
	memmove(host, at + 1, strlen(at + 1) + 1);
	return ui;
}

/*
 * Exotel repeats the custom parameters of the applet's URL (every
 * name=value of its query but its own sample-rate) in the start's
 * custom_parameters: add them to params (from *np on; malloc'd copies,
 * percent-decoded, owned by params).  -p, added later, wins.
 */
static void
url_params(const char *url, char **params, int *np)
{
	const char *q = strchr(url, '?'), *end, *i;
	char *p, *o;

	if (q == NULL)
		return;
	for (q++; *q; q = *end ? end + 1 : end) {
		end = q + strcspn(q, "&#");
		if (*q == '#')
			break;
		if (memchr(q, '=', (size_t)(end - q)) == NULL || *q == '=' ||
		    strncmp(q, "sample-rate=", 12) == 0)
			continue;
		if ((p = malloc((size_t)(end - q) + 1)) == NULL)
			fatal_sys(EXIT_SYSTEM, "unable to allocate");
		for (i = q, o = p; i < end; i++) {
			if (*i == '%' && i + 2 < end && hexval(i[1]) >= 0 &&
			    hexval(i[2]) >= 0) {
				*o++ = (char)(hexval(i[1]) << 4 | hexval(i[2]));
				i += 2;
			} else
				*o++ = *i == '+' ? ' ' : *i;
		}
		*o = '\0';
		params[(*np)++] = p;
		if (*end == '#')
			break;
	}
}

int
main(int argc, char **argv)
{
	struct input in;
	const char *basic, *token, *logpath = NULL;
	char **params, *auth = NULL, *userinfo;
	int opt_auth = 0;
	char **all;
	int ch, np = 0, nurl = 0, status, i;

	msg_init(argv[0]);
	std_options(argc, argv, usage_text, help_text);
	basic = env_get("EXOTEL_REPLAY_BASIC_AUTH");
	token = env_get("EXOTEL_REPLAY_TOKEN");
	opt.ca = env_get("EXOTEL_REPLAY_CA_FILE");
	if ((params = calloc((size_t)argc + 1, sizeof *params)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	while ((ch = getopt(argc, argv,
	    "A:a:C:c:F:f:hi:kL:Nn:O:p:qr:T:t:u:vw:x:")) != -1) {
		switch (ch) {
		case 'A':
			opt.tenant = optarg;
			break;
		case 'a':
			opt.abort_ms = opt_int("-a", optarg, 0, 86400000);
			break;
		case 'C':
			opt.ca = optarg;
			break;
		case 'c':
			opt.chunk_ms = opt_int("-c", optarg, 1, 10000);
			break;
		case 'F':
			opt.format = parse_format(optarg);
			break;
		case 'f':
			opt.frag = opt_int("-f", optarg, 1, 1 << 30);
			break;
		case 'i':
			opt.id = optarg;
			break;
		case 'k':
			opt.insecure = 1;
			break;
		case 'L':
			logpath = optarg;
			opt.timing_log = 1;
			break;
		case 'N':
			opt.native = 1;
			break;
		case 'n':
			opt.ncalls = opt_int("-n", optarg, 1, 10000);
			break;
		case 'O':
			opt.oversize = opt_int("-O", optarg, 1, 256 << 20);
			break;
		case 'p':
			if (optarg[0] == '=' || !strchr(optarg, '='))
				fatal(EXIT_USAGE,
				    "invalid -p: want name=value");
			params[np++] = optarg;
			break;
		case 'q':
			msg_verbosity = 0;
			break;
		case 'r':
			opt.rate = opt_int("-r", optarg, RATE_MIN, RATE_MAX);
			break;
		case 'T':
			token = optarg;
			basic = NULL;
			opt_auth = 1;
			break;
		case 't':
			opt.timeout_s = opt_int("-t", optarg, 0, 86400);
			break;
		case 'u':
			basic = optarg;
			token = NULL;
			opt_auth = 1;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		case 'w':
			opt.linger_s = opt_int("-w", optarg, 0, 3600);
			break;
		case 'x':
			opt.factor = opt_int("-x", optarg, 0, 1000);
			break;
		case 'h':
			printf("usage: %s\n%s", usage_text, help_text);
			exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM);
		default:
			usage_exit(usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		usage_exit(usage_text);
	/* The URL's first, so that -p NAME=VALUE overrides one of them. */
	if ((all = calloc(strlen(argv[0]) + (size_t)np + 1, sizeof *all)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	url_params(argv[0], all, &nurl);
	memcpy(all + nurl, params, (size_t)np * sizeof *params);
	free(params);
	params = all;
	opt.params = params;
	/* URL credentials beat the environment; -u and -T beat both. */
	if ((userinfo = url_userinfo(argv[0])) != NULL && !opt_auth) {
		basic = userinfo;
		token = NULL;
	}
	if (basic)
		opt.auth = auth = basic_auth(basic);
	else if (token)
		opt.auth = auth = bearer_auth(token);

	input_open(&in, argc > 1 ? argv[1] : NULL, opt.ncalls);
	if (opt.native && in.format == FMT_NDJSON && opt.abort_ms < 0)
		debug("native mode: the capture's audio is sent as PCM16LE");
	if (logpath)
		replay_log_open(logpath);
	status = replay_run(argv[0], &in);
	if (replay_log_close() < 0 && status == 0)
		status = EXIT_SYSTEM;
	if (close_stdout() < 0 && status == 0)
		status = EXIT_SYSTEM;
	if (in.fd > 0)
		close(in.fd);
	free(auth);
	free(userinfo);
	for (i = 0; i < nurl; i++)
		free(params[i]);
	free(params);
	return status;
}
