/*
 * wsframe.h - the client side of RFC 6455 for the blocking test helpers
 * (wsclient, exotel-peer): connect, the upgrade, masked frames out, frame
 * heads in.  Header-only, like jwt-sign.h: each helper is one program
 * built from one .c file.  Every buffer is the caller's; nothing here
 * allocates what outlives a call.
 */
#ifndef WSFRAME_H
#define WSFRAME_H

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "io.h"
#include "msg.h"

/* A TCP connection to host:port (TCP_NODELAY); exits 111 when none. */
static int
ws_connect(const char *host, const char *port)
{
	struct addrinfo hints, *ai;
	int s, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		fatal(EXIT_SYSTEM, "unable to resolve %s", host);
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	if (s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0)
		fatal_sys(EXIT_SYSTEM, "connect %s:%s", host, port);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	freeaddrinfo(ai);
	return s;
}

/*
 * Send one masked frame of n bytes of data (borrowed).  0, or -1 with
 * errno when the write failed (the caller decides whether that is fatal:
 * a reply to a close may find the socket gone).
 */
static int
ws_send_frame(int fd, int opcode, int fin, const void *data, size_t n)
{
	unsigned char hdr[14], mask[4] = { 0x12, 0x34, 0x56, 0x78 }, *m;
	size_t h = 0, i;
	int r;

	hdr[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (n < 126) {
		hdr[h++] = (unsigned char)(0x80 | n);
	} else if (n < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(n >> 8);
		hdr[h++] = (unsigned char)n;
	} else {
		hdr[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			hdr[h++] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(hdr + h, mask, 4);
	h += 4;
	if ((m = malloc(n + 1)) == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	for (i = 0; i < n; i++)
		m[i] = ((const unsigned char *)data)[i] ^ mask[i & 3];
	r = write_all(fd, hdr, h) < 0 || write_all(fd, m, n) < 0 ? -1 : 0;
	free(m);
	return r;
}

/*
 * The frame at the front of buf (len bytes, borrowed): 1 when all of it
 * is there, with its opcode, FIN bit, header length and payload length;
 * 0 when more bytes are needed.
 */
static int
ws_frame_head(const unsigned char *buf, size_t len, int *op, int *fin,
    size_t *hlen, size_t *plen)
{
	size_t h = 2, n;

	if (len < 2)
		return 0;
	n = buf[1] & 0x7f;
	if (n == 126) {
		if (len < 4)
			return 0;
		n = (size_t)buf[2] << 8 | buf[3];
		h = 4;
	} else if (n == 127) {
		if (len < 10)
			return 0;
		n = 0;
		for (h = 2; h < 10; h++)
			n = n << 8 | buf[h];
	}
	if (len < h + n)
		return 0;
	*op = buf[0] & 0x0f;
	*fin = buf[0] >> 7;
	*hlen = h;
	*plen = n;
	return 1;
}

/*
 * Send the upgrade request for path, with the extra header lines hdrs
 * (nhdrs of them, borrowed, without CRLF), and read until the response
 * head is in rbuf (size rbufsz, *rlen bytes in it, which may go on past
 * the head).  Returns the head's length through the blank line, with the
 * status in *status (0 when the status line is not HTTP/1.x), or -1 when
 * the connection ended (or rbuf filled) first.  Exits 111 when the
 * request cannot be written.
 */
static long
ws_upgrade(int fd, const char *host, const char *port, const char *path,
    char **hdrs, int nhdrs, unsigned char *rbuf, size_t rbufsz,
    size_t *rlen, int *status)
{
	char req[8192], *end;
	size_t off;
	ssize_t r;
	int i;

	off = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n"
	    "Host: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n", path, host, port);
	for (i = 0; i < nhdrs && off < sizeof req; i++)
		off += (size_t)snprintf(req + off, sizeof req - off, "%s\r\n",
		    hdrs[i]);
	if (off < sizeof req)
		off += (size_t)snprintf(req + off, sizeof req - off, "\r\n");
	if (off >= sizeof req)
		fatal(EXIT_USAGE, "the upgrade request is too long");
	if (write_all(fd, req, off) < 0)
		fatal_sys(EXIT_SYSTEM, "write");
	while ((end = memmem(rbuf, *rlen, "\r\n\r\n", 4)) == NULL) {
		if (*rlen == rbufsz)
			return -1;
		r = read_retry(fd, rbuf + *rlen, rbufsz - *rlen);
		if (r <= 0)
			return -1;
		*rlen += (size_t)r;
	}
	if (sscanf((char *)rbuf, "HTTP/1.%*d %d", status) != 1)
		*status = 0;
	return (long)(end - (char *)rbuf) + 4;
}

#endif
