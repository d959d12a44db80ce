/*
 * mkcapture - wrap known PCM16LE as a media-stream capture, for tests,
 * benchmarks and replay: the messages Exotel (or Twilio, or a native
 * client) would send for that audio, one JSON text a line.
 *
 * usage: mkcapture [-FKNPSTWxz] [-p exotel|twilio|native] [-c pcm16|mulaw]
 *            [-e spelling] [-r rate] [-A start-rate] [-m chunk-ms]
 *            [-o first-ts-ms] [-i call-sid] [-a account-sid] [-s stream-sid]
 *            [-f from] [-t to] [-C name=value]... [-d n]... [-u n]...
 *            [-l n]... [-D n:digit]... [-M n:name]... [-X n:event]...
 *            [-R reason] [-g hz:ms] [-2 outbound.pcm]
 *
 * Reads PCM16LE mono at -r rate (default 8000) on stdin, or makes a sine
 * of hz for ms milliseconds with -g; writes the capture on stdout:
 *   -p   protocol: exotel (default; snake_case), twilio (camelCase),
 *        native (a JSON start line, then the raw audio bytes)
 *   -c   codec of the payload (default pcm16; twilio: mulaw) and -e the
 *        spelling put in media_format.encoding (default raw / audio/x-mulaw)
 *   -m   chunk duration (default 20 ms; the last chunk may be shorter)
 *   -o   timestamp of the first chunk (default 0), then + chunk-ms each
 *   -S   numbers (sequence_number, chunk, timestamp, sample_rate) as strings
 *   -T   no media.timestamp;  -K  no media.chunk
 *   -i -a -s -f -t   call_sid, account_sid, stream_sid, from, to
 *   -C   a custom parameter (repeatable)
 *   -d n drop chunk n;  -u n send chunk n twice;  -l n send chunk n late
 *        (after chunk n+2); chunks count from 1 (all repeatable)
 *   -D n:digit  a dtmf message after chunk n;  -M n:name  a mark after n
 *   -R   stop reason (default callended);  -z  no stop message at all
 *   -P   pretty-print every message over several lines;  -W  CRLF ends
 *   -x   write '/' in payloads as the JSON escape "\/"
 *   -F   a flat start: its members at the top level, no "start" object
 *   -N   no media format in the start;  -A  the rate the start names
 *        (default -r: the audio's own)
 *   -X n:event  a bare {"event":..,"stream_sid":..} after chunk n
 *   -2   a second track: file holds its PCM16LE (same rate); each chunk
 *        of it follows the inbound chunk of the same number, and every
 *        media message names its track (inbound, outbound)
 * Example:  mkcapture -r 16000 -m 100 -S < speech16k.raw > call.ndjson
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "msg.h"
#include "num.h"
#include "pcm.h"

#define MAXLIST 256

static const char usage[] =
    "mkcapture [-FKNPSTWxz] [-p exotel|twilio|native] [-c pcm16|mulaw] "
    "[-e spelling] [-r rate] [-A start-rate] [-m chunk-ms] "
    "[-o first-ts-ms] [-i call-sid] [-a account-sid] [-s stream-sid] "
    "[-f from] [-t to] [-C name=value]... [-d n]... [-u n]... [-l n]... "
    "[-D n:digit]... [-M n:name]... [-X n:event]... [-R reason] "
    "[-g hz:ms] [-2 outbound.pcm]";

struct list {
	long n[MAXLIST];
	const char *s[MAXLIST];
	int len;
};

static int twilio, native, mulaw, strnums, nots, nochunk, pretty, crlf;
static int escslash, flat, noformat;
static unsigned startrate;
static const char *track;	/* media.track of the chunk being written */
static const char *callsid = "CA0001", *account = "AC0001";
static const char *streamsid = "ST0001";
static const char *from = "+910000000001", *to = "+910000000002";
static const char *reason = "callended", *spelling;
static const char *custom[MAXLIST];
static int ncustom;
static struct list drops, dups, lates, dtmfs, marks, bare;
static char *line;		/* the message being built */
static size_t linelen, linecap;
static long seq;

static void
add(const char *s, size_t n)
{
	if (linelen + n + 1 > linecap) {
		linecap = (linelen + n + 1) * 2;
		if ((line = realloc(line, linecap)) == NULL)
			fatal_sys(EXIT_SYSTEM, "out of memory");
	}
	memcpy(line + linelen, s, n);
	linelen += n;
	line[linelen] = '\0';
}

static void
adds(const char *s)
{
	add(s, strlen(s));
}

/* A JSON string literal. */
static void
addq(const char *s)
{
	char esc[8];

	adds("\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\', esc[1] = *s;
			add(esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
			adds(esc);
		} else
			add(s, 1);
	}
	adds("\"");
}

/* A number, or its decimal string with -S. */
static void
addn(long v)
{
	char b[32];

	snprintf(b, sizeof b, strnums ? "\"%ld\"" : "%ld", v);
	adds(b);
}

/* "key": */
static void
addk(const char *k)
{
	addq(k);
	adds(":");
}

/* Write the message built in line, compact or pretty, then reset it. */
static void
emit(void)
{
	const char *end = crlf ? "\r\n" : "\n";
	int depth = 0, instr = 0;
	size_t i;

	if (!pretty) {
		fputs(line, stdout);
		fputs(end, stdout);
		linelen = 0;
		return;
	}
	for (i = 0; i < linelen; i++) {
		char c = line[i];

		if (instr) {
			putchar(c);
			if (c == '\\')
				putchar(line[++i]);
			else if (c == '"')
				instr = 0;
			continue;
		}
		if (c == '"')
			instr = 1;
		if (c == '}' || c == ']') {
			depth--;
			printf("%s%*s", end, 2 * depth, "");
		}
		putchar(c);
		if (c == ':')
			putchar(' ');
		if (c == '{' || c == '[') {
			depth++;
			printf("%s%*s", end, 2 * depth, "");
		} else if (c == ',')
			printf("%s%*s", end, 2 * depth, "");
	}
	fputs(end, stdout);
	linelen = 0;
}

static void
head(const char *event)
{
	adds("{");
	addk("event");
	addq(event);
	if (!strcmp(event, "connected")) {
		if (twilio)
			adds(",\"protocol\":\"Call\",\"version\":\"1.0.0\"");
		return;
	}
	adds(",");
	addk(twilio ? "sequenceNumber" : "sequence_number");
	addn(++seq);
	adds(",");
	addk(twilio ? "streamSid" : "stream_sid");
	addq(streamsid);
}

static void
start_msg(unsigned rate)
{
	char *eq, name[256];
	int i;

	if (native) {
		adds("{\"event\":\"start\",\"interaction_id\":");
		addq(callsid);
		adds(",\"tenant_id\":");
		addq(account);
		adds(",\"sample_rate\":");
		addn(rate);
		adds(",\"encoding\":");
		addq(spelling);
		adds("}");
		emit();
		return;
	}
	head("start");
	if (flat)
		adds(",");
	else {
		adds(",\"start\":{");
		addk(twilio ? "streamSid" : "stream_sid");
		addq(streamsid);
		adds(",");
	}
	addk(twilio ? "callSid" : "call_sid");
	addq(callsid);
	adds(",");
	addk(twilio ? "accountSid" : "account_sid");
	addq(account);
	adds(",\"from\":");
	addq(from);
	adds(",\"to\":");
	addq(to);
	if (twilio)
		adds(track ? ",\"tracks\":[\"inbound\",\"outbound\"]" :
		    ",\"tracks\":[\"inbound\"]");
	adds(",");
	addk(twilio ? "customParameters" : "custom_parameters");
	adds("{");
	for (i = 0; i < ncustom; i++) {
		snprintf(name, sizeof name, "%s", custom[i]);
		if ((eq = strchr(name, '=')) == NULL)
			fatal(EXIT_USAGE, "-C %s: want name=value", custom[i]);
		*eq = '\0';
		if (i)
			adds(",");
		addk(name);
		addq(eq + 1);
	}
	adds("}");
	if (!noformat) {
		adds(",");
		addk(twilio ? "mediaFormat" : "media_format");
		adds("{\"encoding\":");
		addq(spelling);
		adds(",");
		addk(twilio ? "sampleRate" : "sample_rate");
		addn(startrate ? startrate : rate);
		adds(twilio ? ",\"channels\":1}" :
		    ",\"bit_rate\":\"128kbps\"}");
	}
	adds(flat ? "}" : "}}");
	emit();
}

static void
media_msg(long chunk, long ts, const unsigned char *p, size_t n)
{
	char *b64 = malloc(BASE64_ENCODED_LEN(n) + 1);
	size_t i, len;

	if (b64 == NULL)
		fatal_sys(EXIT_SYSTEM, "out of memory");
	len = base64_encode(p, n, b64);
	head("media");
	adds(",\"media\":{");
	if (track) {
		addk("track");
		addq(track);
		adds(",");
	} else if (twilio)
		adds("\"track\":\"inbound\",");
	if (!nochunk) {
		addk("chunk");
		addn(chunk);
		adds(",");
	}
	if (!nots) {
		addk("timestamp");
		addn(ts);
		adds(",");
	}
	adds("\"payload\":\"");
	for (i = 0; i < len; i++)
		if (escslash && b64[i] == '/')
			adds("\\/");
		else
			add(b64 + i, 1);
	adds("\"}}");
	emit();
	free(b64);
}

static int
listed(const struct list *l, long n, const char **s)
{
	int i;

	for (i = 0; i < l->len; i++)
		if (l->n[i] == n) {
			if (s)
				*s = l->s[i];
			return 1;
		}
	return 0;
}

/* Messages that follow chunk n: dtmf and mark. */
static void
after(long n)
{
	int i;

	for (i = 0; i < dtmfs.len; i++)
		if (dtmfs.n[i] == n) {
			head("dtmf");
			adds(",\"dtmf\":{");
			adds(twilio ? "\"track\":\"inbound_track\"," :
			    "\"duration\":\"100\",");
			addk("digit");
			addq(dtmfs.s[i]);
			adds("}}");
			emit();
		}
	for (i = 0; i < bare.len; i++)
		if (bare.n[i] == n) {
			head(bare.s[i]);
			adds("}");
			emit();
		}
	for (i = 0; i < marks.len; i++)
		if (marks.n[i] == n) {
			head("mark");
			adds(",\"mark\":{\"name\":");
			addq(marks.s[i]);
			adds("}}");
			emit();
		}
}

static void
push(struct list *l, const char *arg, int withtext)
{
	char num[32], *colon;

	if (l->len == MAXLIST)
		fatal(EXIT_USAGE, "too many list options");
	snprintf(num, sizeof num, "%s", arg);
	colon = strchr(num, ':');
	if (withtext) {
		if (colon == NULL)
			fatal(EXIT_USAGE, "%s: want n:text", arg);
		*colon = '\0';
		l->s[l->len] = strchr(arg, ':') + 1;
	}
	l->n[l->len++] = opt_int("chunk number", num, 0, 100000000);
}

/* PCM16 p (n bytes, consumed) as mu-law; *n becomes its length. */
static unsigned char *
to_ulaw(unsigned char *p, size_t *n)
{
	unsigned char *enc = malloc(*n / 2 + 1);
	size_t j;

	if (enc == NULL)
		fatal_sys(EXIT_SYSTEM, "out of memory");
	for (j = 0; j < *n / 2; j++)
		enc[j] = pcm16_to_ulaw(le16_get(p + 2 * j));
	free(p);
	*n /= 2;
	return enc;
}

/* The whole of file; *n bytes, owned by the caller. */
static unsigned char *
slurp(const char *file, size_t *n)
{
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0;
	FILE *f = fopen(file, "rb");

	if (f == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to open %s", file);
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				fatal_sys(EXIT_SYSTEM, "out of memory");
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		if (r == 0)
			break;
		len += r;
	}
	if (ferror(f))
		fatal_sys(EXIT_SYSTEM, "unable to read %s", file);
	fclose(f);
	*n = len & ~(size_t)1;
	return buf;
}

/* The whole input (or a sine); *n bytes, owned by the caller. */
static unsigned char *
audio(const char *sine, unsigned rate, size_t *n)
{
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0, i;
	char tmp[64], *colon;
	long hz, ms;
	ssize_t r;

	if (sine) {
		snprintf(tmp, sizeof tmp, "%s", sine);
		if ((colon = strchr(tmp, ':')) == NULL)
			fatal(EXIT_USAGE, "-g %s: want hz:ms", sine);
		*colon = '\0';
		hz = opt_int("-g hz", tmp, 1, 20000);
		ms = opt_int("-g ms", colon + 1, 0, 86400000);
		len = (size_t)ms * rate / 1000 * 2;
		if ((buf = malloc(len + 1)) == NULL)
			fatal_sys(EXIT_SYSTEM, "out of memory");
		for (i = 0; i < len / 2; i++)
			le16_put(buf + 2 * i, (int16_t)lrint(8000.0 *
			    sin(2 * M_PI * (double)hz * (double)i / rate)));
		*n = len;
		return buf;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				fatal_sys(EXIT_SYSTEM, "out of memory");
		}
		r = read(0, buf + len, cap - len);
		if (r < 0)
			fatal_sys(EXIT_SYSTEM, "unable to read stdin");
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*n = len;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *proto = "exotel", *codec = NULL, *sine = NULL;
	const char *second = NULL;
	unsigned char *pcm, *pcm2 = NULL;
	size_t n2 = 0;
	long nchunks2 = 0, last;
	unsigned rate = 8000;
	long ms = 20, first = 0, nchunks, i, k, held = -1;
	size_t n, per, off, len;
	int c, stop = 1;

	msg_init(argv[0]);
	while ((c = getopt(argc, argv,
	    "2:a:A:c:C:d:D:e:Ff:g:i:Kl:m:M:No:p:PR:r:s:St:Tu:WxX:z")) != -1) {
		switch (c) {
		case '2':
			second = optarg;
			break;
		case 'A':
			startrate = (unsigned)opt_int("-A", optarg, RATE_MIN,
			    RATE_MAX);
			break;
		case 'F':
			flat = 1;
			break;
		case 'N':
			noformat = 1;
			break;
		case 'X':
			push(&bare, optarg, 1);
			break;
		case 'a':
			account = optarg;
			break;
		case 'c':
			codec = optarg;
			break;
		case 'C':
			if (ncustom == MAXLIST)
				fatal(EXIT_USAGE, "too many -C");
			custom[ncustom++] = optarg;
			break;
		case 'd':
			push(&drops, optarg, 0);
			break;
		case 'D':
			push(&dtmfs, optarg, 1);
			break;
		case 'e':
			spelling = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'g':
			sine = optarg;
			break;
		case 'i':
			callsid = optarg;
			break;
		case 'K':
			nochunk = 1;
			break;
		case 'l':
			push(&lates, optarg, 0);
			break;
		case 'm':
			ms = opt_int("-m", optarg, 1, 60000);
			break;
		case 'M':
			push(&marks, optarg, 1);
			break;
		case 'o':
			first = opt_int("-o", optarg, 0, 86400000);
			break;
		case 'p':
			proto = optarg;
			break;
		case 'P':
			pretty = 1;
			break;
		case 'R':
			reason = optarg;
			break;
		case 'r':
			rate = (unsigned)opt_int("-r", optarg, RATE_MIN,
			    RATE_MAX);
			break;
		case 's':
			streamsid = optarg;
			break;
		case 'S':
			strnums = 1;
			break;
		case 't':
			to = optarg;
			break;
		case 'T':
			nots = 1;
			break;
		case 'u':
			push(&dups, optarg, 0);
			break;
		case 'W':
			crlf = 1;
			break;
		case 'x':
			escslash = 1;
			break;
		case 'z':
			stop = 0;
			break;
		default:
			usage_exit(usage);
		}
	}
	twilio = !strcmp(proto, "twilio");
	native = !strcmp(proto, "native");
	if (!twilio && !native && strcmp(proto, "exotel"))
		usage_exit(usage);
	mulaw = codec ? !strcmp(codec, "mulaw") : twilio;
	if (!spelling)
		spelling = mulaw ? "audio/x-mulaw" : native ? "pcm16" : "raw";

	pcm = audio(sine, rate, &n);
	n &= ~(size_t)1;
	if (second) {
		pcm2 = slurp(second, &n2);
		track = "inbound";
	}
	/* Payload bytes: one mu-law byte per sample. */
	if (mulaw) {
		pcm = to_ulaw(pcm, &n);
		if (pcm2)
			pcm2 = to_ulaw(pcm2, &n2);
	}
	if (!native) {
		head("connected");
		adds("}");
		emit();
	}
	start_msg(rate);
	if (native) {
		fflush(stdout);
		fwrite(pcm, 1, n, stdout);
		free(pcm);
		return fflush(stdout) ? EXIT_SYSTEM : EXIT_OK;
	}
	per = (size_t)ms * rate / 1000 * (mulaw ? 1 : 2);
	nchunks = (long)((n + per - 1) / per);
	nchunks2 = (long)((n2 + per - 1) / per);
	last = nchunks > nchunks2 ? nchunks : nchunks2;
	for (i = 1; i <= last; i++) {
		off = (size_t)(i - 1) * per;
		len = n - off < per ? n - off : per;
		if (i > nchunks)
			;
		else if (listed(&lates, i, NULL))
			held = i;
		else if (!listed(&drops, i, NULL)) {
			media_msg(i, first + (i - 1) * ms, pcm + off, len);
			if (listed(&dups, i, NULL))
				media_msg(i, first + (i - 1) * ms, pcm + off,
				    len);
		}
		if (i <= nchunks2) {
			len = n2 - off < per ? n2 - off : per;
			track = "outbound";
			media_msg(i, first + (i - 1) * ms, pcm2 + off, len);
			track = "inbound";
		}
		after(i);
		if (held > 0 && i == held + 2) {
			k = held;
			off = (size_t)(k - 1) * per;
			len = n - off < per ? n - off : per;
			media_msg(k, first + (k - 1) * ms, pcm + off, len);
			held = -1;
		}
	}
	if (held > 0) {	/* late past the end: last of all */
		off = (size_t)(held - 1) * per;
		len = n - off < per ? n - off : per;
		media_msg(held, first + (held - 1) * ms, pcm + off, len);
	}
	if (stop) {
		head("stop");
		adds(",\"stop\":{");
		addk(twilio ? "accountSid" : "call_sid");
		addq(twilio ? account : callsid);
		adds(",");
		addk(twilio ? "callSid" : "account_sid");
		addq(twilio ? callsid : account);
		if (!twilio) {
			adds(",\"reason\":");
			addq(reason);
		}
		adds("}}");
		emit();
	}
	free(pcm);
	free(pcm2);
	free(line);
	return fflush(stdout) ? EXIT_SYSTEM : EXIT_OK;
}
