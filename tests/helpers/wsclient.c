/*
 * wsclient - a scripted plain-ws:// WebSocket client for ws-accept's
 * tests: it can do what a polite client never does (fragment, oversize,
 * drop the TCP connection mid-call) and prints exactly what came back.
 *
 * usage: wsclient [-H header]... host port path[?query]
 *
 * Reads commands from stdin, one a line:
 *   t TEXT        send TEXT as one text message
 *   T N TEXT      send TEXT as a text message in fragments of N bytes
 *   b FILE        send FILE's bytes as one binary message
 *   B N FILE      send FILE's bytes as binary messages of N bytes each
 *   z N           send one binary message of N zero bytes
 *   r N           read N messages, printing "text: ..." or "binary: N"
 *   c CODE        send a close frame with CODE, then wait for the close
 *                 (c 0: a close frame without a code, as Node's ws.close())
 *   w             wait for the server's close (replying to it)
 *   x             drop the connection without a close
 *   s MS          sleep MS milliseconds
 * Prints "http: STATUS" and the response body when the upgrade is refused,
 * "open" when it succeeds, "close: CODE REASON" when the server closes,
 * "eof" when the connection ends without a close frame.
 * Exit: 0 ok, 1 refused or unexpected end, 100 usage, 111 system error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"
#include "num.h"
#include "wsframe.h"

static int sock = -1;
static unsigned char rbuf[1 << 20];
static size_t rlen;

static int
fill(void)
{
	ssize_t r;

	if (rlen == sizeof rbuf)
		return -1;
	r = read_retry(sock, rbuf + rlen, sizeof rbuf - rlen);
	if (r <= 0)
		return -1;
	rlen += (size_t)r;
	return 0;
}

static void
consume(size_t n)
{
	memmove(rbuf, rbuf + n, rlen - n);
	rlen -= n;
}

static void
send_frame(int opcode, int fin, const void *data, size_t n)
{
	if (ws_send_frame(sock, opcode, fin, data, n) < 0)
		fatal_sys(EXIT_SYSTEM, "write");
}

/*
 * Read one frame; returns its opcode (payload in *p, *n; valid until the
 * next call) or -1 at EOF.  Control frames are returned too.
 */
static int
read_frame(unsigned char **p, size_t *n, int *fin)
{
	size_t h;
	int op;

	while (!ws_frame_head(rbuf, rlen, &op, fin, &h, n))
		if (fill() < 0)
			return -1;
	consume(h);
	*p = rbuf;
	return op;
}

/* Read messages; returns 1 after a close (printed), -1 at EOF, 0 after count. */
static int
read_messages(int count)
{
	unsigned char *p;
	size_t n;
	int op, fin, got = 0, code;

	while (count < 0 || got < count) {
		op = read_frame(&p, &n, &fin);
		if (op < 0) {
			printf("eof\n");
			fflush(stdout);
			return -1;
		}
		if (op == 8) {
			code = n >= 2 ? p[0] << 8 | p[1] : 1005;
			printf("close: %d %.*s\n", code, n > 2 ? (int)n - 2 : 0,
			    (char *)p + 2);
			fflush(stdout);
			consume(n);
			send_frame(8, 1, "\x03\xe8", 2);
			return 1;
		}
		if (op == 9) {
			consume(n);
			send_frame(10, 1, "", 0);
			continue;
		}
		if (op == 1)
			printf("text: %.*s\n", (int)n, (char *)p);
		else if (op == 2)
			printf("binary: %zu\n", n);
		fflush(stdout);
		consume(n);
		got++;
	}
	return 0;
}

static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d;
	long sz;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0)
		fatal_sys(EXIT_SYSTEM, "%s", path);
	rewind(f);
	if ((d = malloc((size_t)sz + 1)) == NULL ||
	    fread(d, 1, (size_t)sz, f) != (size_t)sz)
		fatal_sys(EXIT_SYSTEM, "%s", path);
	fclose(f);
	*n = (size_t)sz;
	return d;
}

/* Send the upgrade; returns when switched, else prints the refusal and exits 1. */
static void
handshake(const char *host, const char *port, const char *path,
    char **hdrs, int nhdrs)
{
	long head;
	int status;

	head = ws_upgrade(sock, host, port, path, hdrs, nhdrs, rbuf,
	    sizeof rbuf, &rlen, &status);
	if (head < 0)
		fatal(EXIT_BADINPUT, "connection closed in handshake");
	if (status == 0)
		fatal(EXIT_BADINPUT, "bad response");
	if (status != 101) {
		size_t hl = (size_t)head;
		char *cl = memmem(rbuf, hl, "content-length: ", 16);
		size_t blen = cl ? strtoul(cl + 16, NULL, 10) : 0;

		while (rlen < hl + blen)
			if (fill() < 0)
				break;
		printf("http: %d\n", status);
		if (memmem(rbuf, hl, "www-authenticate: ", 18))
			printf("www-authenticate\n");
		printf("%.*s", (int)(rlen > hl ? rlen - hl : 0),
		    (char *)rbuf + hl);
		exit(1);
	}
	consume((size_t)head);
	printf("open\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char line[65536], *hdrs[16], *arg;
	unsigned char *d;
	size_t n, k, i;
	int c, nhdrs = 0, r;

	msg_init(argv[0]);
	while ((c = getopt(argc, argv, "H:")) != -1) {
		if (c == 'H' && nhdrs < 16)
			hdrs[nhdrs++] = optarg;
		else
			usage_exit("wsclient [-H header]... host port path");
	}
	if (argc - optind != 3)
		usage_exit("wsclient [-H header]... host port path");
	sock = ws_connect(argv[optind], argv[optind + 1]);
	handshake(argv[optind], argv[optind + 1], argv[optind + 2], hdrs,
	    nhdrs);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = '\0';
		arg = line[1] ? line + 2 : line + 1;
		switch (line[0]) {
		case 't':
			send_frame(1, 1, arg, strlen(arg));
			break;
		case 'T':
			k = strtoul(arg, &arg, 10);
			arg++;
			n = strlen(arg);
			for (i = 0; i < n || i == 0; i += k) {
				size_t m = n - i < k ? n - i : k;

				send_frame(i == 0 ? 1 : 0, i + k >= n, arg + i, m);
			}
			break;
		case 'b':
			d = slurp(arg, &n);
			send_frame(2, 1, d, n);
			free(d);
			break;
		case 'B':
			k = strtoul(arg, &arg, 10);
			d = slurp(arg + 1, &n);
			for (i = 0; i < n; i += k)
				send_frame(2, 1, d + i, n - i < k ? n - i : k);
			free(d);
			break;
		case 'z':
			n = strtoul(arg, NULL, 10);
			if ((d = calloc(1, n + 1)) == NULL)
				fatal(EXIT_SYSTEM, "out of memory");
			send_frame(2, 1, d, n);
			free(d);
			break;
		case 'r':
			r = read_messages(atoi(arg));
			if (r != 0)
				return r > 0 ? 0 : 1;
			break;
		case 'c':
			c = atoi(arg);
			line[0] = (char)(c >> 8);
			line[1] = (char)c;
			send_frame(8, 1, line, c ? 2 : 0);
			/* fall through */
		case 'w':
			r = read_messages(-1);
			return r > 0 ? 0 : 1;
		case 'x':
			close(sock);
			return 0;
		case 's':
			{
				struct timespec ts;
				long ms = atol(arg);

				ts.tv_sec = ms / 1000;
				ts.tv_nsec = (ms % 1000) * 1000000L;
				nanosleep(&ts, NULL);
			}
			break;
		default:
			break;
		}
	}
	return 0;
}
