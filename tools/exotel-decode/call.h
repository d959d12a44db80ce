/*
 * call.h - a call's identity and audio format, read from its start
 * message (Exotel snake_case, Twilio camelCase, or the native start), and
 * the jv accessors that never abort (libjq aborts on jv_object_get of a
 * non-object, so every access checks kinds first).
 */
#ifndef CALL_H
#define CALL_H

#include <jv.h>

enum { P_EXOTEL, P_TWILIO, P_NATIVE };
enum { C_PCM16, C_MULAW };

struct call {
	int protocol;
	int codec;
	unsigned rate;		/* of the PCM written (the input's) */
	jv interaction_id;	/* owned strings, "" when unknown */
	jv tenant_id;
	jv stream_sid;
	jv call_sid;
	jv from;
	jv to;
	jv custom;		/* owned object, {} when none */
};

extern const char *const protocol_names[];
extern const char *const codec_names[];

/*
 * Member k of o.  Borrows o; returns an owned value, jv_null() when o is
 * not an object or has no such member.
 */
jv jget(jv o, const char *k);

/*
 * Integer value of v (borrowed): a JSON number or a string of digits,
 * checked against [min, max] through parse_long.  Returns 1 and sets
 * *out, 0 when v is null, -1 when v is anything else or out of range.
 */
int jint(jv v, long long min, long long max, long long *out);

/* A short printable copy of a string value (borrowed) for log lines. */
const char *jshow(jv v, char *buf, size_t size);

/*
 * The codec an encoding spelling means: C_PCM16, C_MULAW, CODEC_UNSAID
 * for an empty or blank spelling (the protocol's default applies), or -1
 * for a codec we do not decode.  Case and surrounding blanks are ignored.
 */
#define CODEC_UNSAID (-2)
int codec_of(const char *spelling);

/*
 * Fill c from the start message msg (borrowed).  rate_opt (0: none)
 * overrides the message's rate.  Returns NULL, or a text saying why the
 * stream cannot be decoded (static, valid until the next call; c is then
 * freed).  Warnings for
 * tolerable oddities are logged with the line number.
 */
const char *call_from_start(struct call *c, jv msg, unsigned rate_opt,
    unsigned long line);
void call_free(struct call *c);

#endif
