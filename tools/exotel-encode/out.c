/*
 * out.c - the messages to the caller: Exotel's or Twilio's media, mark
 * and clear, one a line on stdout.  See encode.h.
 */
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "io.h"
#include "msg.h"

#include "encode.h"

/* Bytes of payload a second at the call's rate and codec. */
unsigned
payload_rate(void)
{
	return enc.rate * (enc.mulaw ? 1 : 2);
}

int64_t
bytes_us(unsigned long long n)
{
	return (int64_t)(n * 1000000ULL / payload_rate());
}

static void
emit(struct buf *b)
{
	buf_add(b, "\n", 1);
	if (write_all(1, b->p, b->len) < 0)
		fatal_sys(EXIT_SYSTEM, "unable to write stdout");
	enc.msgs++;
	enc.bytes_out += b->len;
	b->len = 0;
}

static void
head(struct buf *b, const char *event)
{
	buf_adds(b, "{\"event\":\"");
	buf_adds(b, event);
	buf_adds(b, enc.twilio ? "\",\"streamSid\":\"" : "\",\"stream_sid\":\"");
	buf_add_json(b, enc.sid);
	buf_adds(b, "\"");
	if (!enc.twilio && strcmp(event, "clear") != 0) {
		buf_adds(b, ",\"sequence_number\":\"");
		buf_add_u64(b, ++enc.seq);
		buf_adds(b, "\"");
	}
}

/* Bytes of a message around its payload, for the line-length bound. */
size_t
overhead(void)
{
	return 160 + 6 * strlen(enc.sid);
}

void
send_media(const uint8_t *p, size_t n, size_t pad)
{
	static struct buf b, payload;
	size_t len = n + pad;

	payload.len = 0;
	buf_add(&payload, p, n);
	if (pad) {
		if (buf_reserve(&payload, pad) < 0)
			fatal(EXIT_SYSTEM, "out of memory");
		memset(payload.p + n, enc.mulaw ? 0xff : 0, pad);
		payload.len += pad;
	}
	head(&b, "media");
	buf_adds(&b, ",\"media\":{");
	if (!enc.twilio) {
		buf_adds(&b, "\"chunk\":\"");
		buf_add_u64(&b, enc.chunks + 1);
		buf_adds(&b, "\",\"timestamp\":\"");
		buf_add_u64(&b, enc.out_ms_bytes * 1000 / payload_rate());
		buf_adds(&b, "\",");
	}
	buf_adds(&b, "\"payload\":\"");
	if (buf_reserve(&b, BASE64_ENCODED_LEN(len) + 1) < 0)
		fatal(EXIT_SYSTEM, "out of memory");
	b.len += base64_encode(payload.p, len, b.p + b.len);
	buf_adds(&b, "\"}}");
	emit(&b);
	enc.chunks++;
	enc.out_ms_bytes += len;
	debug("media chunk=%llu bytes=%zu pad=%zu", enc.chunks, len, pad);
}

void
send_mark(const char *name)
{
	static struct buf b;

	head(&b, "mark");
	buf_adds(&b, ",\"mark\":{\"name\":\"");
	buf_add_json(&b, name);
	buf_adds(&b, "\"}}");
	emit(&b);
	enc.marks_sent++;
}

void
send_clear(void)
{
	static struct buf b;

	head(&b, "clear");
	buf_adds(&b, "}");
	emit(&b);
	enc.clears++;
}
