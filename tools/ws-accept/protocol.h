/*
 * protocol.h - what ws-accept knows about each protocol a caller can
 * speak, in one table (protocol.c): its name (PROTOCOL in the handler's
 * environment, the log's protocol= word, the metrics label), how the
 * handshake selects it, and how its calls are fed.  A new protocol is a
 * row here plus its handling in the handler pipeline.
 *
 * ws-accept cannot tell Exotel from Twilio at the handshake (both are JSON
 * text media streams, authenticated the same way), so "exotel" means
 * "Exotel or Twilio JSON media stream, never native"; "native" is given
 * only to a verified Bearer JWT.
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

enum protocol {
	PROTOCOL_UNKNOWN,	/* refused before the header was read */
	PROTOCOL_EXOTEL,
	PROTOCOL_NATIVE,
	PROTOCOL_N
};

struct protocol_info {
	const char *name;	/* [a-z]+: env, log and metrics label */
	const char *scheme;	/* Authorization scheme that selects it, or NULL */
	int text_only;		/* binary frames refused with close 1003 */
	int default_rate;	/* SAMPLE_RATE when the URL names none; 0 unset */
	int replies;		/* ws-accept answers start/acks (native.c) */
};

extern const struct protocol_info protocols_known[PROTOCOL_N];

/* The row of p (PROTOCOL_UNKNOWN's for anything out of range). */
const struct protocol_info *protocol_info(enum protocol p);

/* p's name ("unknown", "exotel", "native"). */
const char *protocol_name(enum protocol p);

/*
 * The protocol an Authorization header (borrowed, may be NULL) claims:
 * the row whose scheme it starts with (case-insensitive, then a blank),
 * else PROTOCOL_EXOTEL (no header, Basic, anything else: auth judges).
 */
enum protocol protocol_claimed(const char *authorization);

#endif
