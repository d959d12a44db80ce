/*
 * proto.h - everything exotel-decode knows about the protocols it reads,
 * in one table with a row per protocol: the keys of its start message,
 * its default codec and rate, its track names and which stop reasons
 * mean the call ended.  A new protocol is a row (and a test capture).
 *
 * The row is chosen once per start message, within what the connection
 * allows (PROTOCOL, fixed at the handshake by ws-accept): an "exotel"
 * connection reads Exotel (snake_case) or Twilio-shaped (camelCase)
 * starts, nested in "start" or flat at the top level, and never switches
 * to the native protocol; a "native" connection reads only the native
 * start, after which the input is raw audio.
 */
#ifndef PROTO_H
#define PROTO_H

#include <jv.h>

enum { P_EXOTEL, P_TWILIO, P_NATIVE, P_NROWS };
/* What the connection allows (-p, PROTOCOL). */
enum { CONN_AUTO, CONN_EXOTEL, CONN_NATIVE };
/* Codecs; C_DETECT: the start named none, the first payload decides. */
enum { C_PCM16, C_MULAW, C_DETECT };
/* Tracks: a call has at most these two. */
enum { T_INBOUND, T_OUTBOUND, T_NTRACKS };

/* Longest JSON text of an identity field (ids, from, to) we accept. */
#define FIELD_MAX 256
/* Longest JSON text of the custom parameters kept. */
#define CUSTOM_MAX 2048

struct proto {
	const char *name;	/* in logs, events and ENCODING's company */
	/* Start keys; NULL: the protocol has none. */
	const char *stream_sid, *call_sid, *account_sid, *interaction_id;
	const char *custom;
	const char *tracks;	/* the list of the stream's tracks; NULL: none */
	const char *format;	/* the media format object; NULL: top level */
	const char *rate_key;
	int codec;		/* when the start names none */
	unsigned rate;		/* when neither -r, the URL nor the start do */
	/* Stop reasons (substrings) that mean the call ended. */
	const char *const *ended;
};

extern const struct proto protos[P_NROWS];
extern const char *const codec_names[];
extern const char *const track_names[T_NTRACKS];

struct call {
	const struct proto *p;
	int codec;		/* C_PCM16, C_MULAW or C_DETECT */
	unsigned rate;		/* of the PCM written */
	jv interaction_id;	/* owned strings, "" when unknown */
	jv tenant_id;
	jv stream_sid;
	jv call_sid;
	jv from;
	jv to;
	jv custom;		/* owned object, {} when none */
	int inbound_listed;	/* the start lists the inbound track, or no list */
};

/*
 * The codec an encoding spelling means: C_PCM16, C_MULAW, CODEC_UNSAID
 * for an empty or blank spelling (the protocol's default applies), or -1
 * for a codec we do not decode.  Case and surrounding blanks are ignored.
 */
#define CODEC_UNSAID (-2)
int codec_of(const char *spelling);

/*
 * Fill c from the start message msg (borrowed) on a connection of kind
 * conn.  rate_opt (0: none) overrides every rate; url_rate (0: none) is
 * the URL's (SAMPLE_RATE) and wins over the start's.  Returns NULL, or a
 * text saying why the start cannot be read (static, valid until the next
 * call; c is then freed).  Warnings for tolerable oddities are logged
 * with the line number.
 */
const char *call_from_start(struct call *c, jv msg, int conn,
    unsigned rate_opt, unsigned url_rate, unsigned long line);
void call_free(struct call *c);

/*
 * The track a media.track (or dtmf.track) spelling names (s, n bytes,
 * borrowed; NULL: none given, which is inbound), or -1 for a name we do
 * not know.  "inbound", "inbound_track", "outbound", "outbound_track".
 */
int track_of(const char *s, size_t n);

/* The internal stop reason for a stop message (borrowed); static text. */
const char *stop_reason(const struct call *c, jv msg);

#endif
