/*
 * identity.c - which call this is: options, environment, the start
 * event, or a generated id.  See call.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "call.h"
#include "frame.h"
#include "logsafe.h"
#include "num.h"
#include "msg.h"

/* A random (version 4) UUID, for a call nobody named.  Returns an owned string. */
static char *
uuid4(void)
{
	unsigned char r[16];
	char *s;

	if (getrandom(r, sizeof r, 0) != sizeof r)
		fatal_sys(EXIT_SYSTEM, "unable to get random bytes");
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	if ((s = malloc(37)) == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	snprintf(s, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return s;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fatal_sys(EXIT_SYSTEM, "unable to allocate");
	return d;
}

/*
 * "<prefix>{<key>}:<id>", owned: in the slot of key on a Redis Cluster,
 * so the claim and the seq never move the connection off the audio's
 * node.  A key with a hash tag of its own keeps it: "<prefix><key>:<id>".
 */
static char *
derived(const char *prefix, const char *key, const char *id)
{
	struct buf b = { 0 };
	const char *open = strchr(key, '{');
	int wrap = open == NULL && strchr(key, '}') == NULL;

	buf_adds(&b, prefix);
	if (wrap)
		buf_add(&b, "{", 1);
	buf_adds(&b, key);
	if (wrap)
		buf_add(&b, "}", 1);
	buf_add(&b, ":", 1);
	buf_adds(&b, id);
	buf_add(&b, "", 1);
	return b.p;
}

/* Our claim's value: who holds the call, for the log of the one refused. */
static void
claim_token(struct pub *p)
{
	unsigned char r[4];
	char host[64];
	const char *call = env_get("CALL_ID");

	if (gethostname(host, sizeof host) < 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	if (getrandom(r, sizeof r, 0) != sizeof r)
		memset(r, 0, sizeof r);
	snprintf(p->token, sizeof p->token, "host=%.40s pid=%ld call=%.16s "
	    "nonce=%02x%02x%02x%02x", host, (long)getpid(), call ? call : "-",
	    r[0], r[1], r[2], r[3]);
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/*
 * Fix the call's identity: options and environment first, then what the
 * start event said (ev borrowed, may be NULL), then a generated id and
 * tenant "default".  Until then nothing is sent.
 */
void
resolve(struct call *c, const struct names *ev)
{
	struct pub *p = &c->p;
	struct names n;
	char sid[LOGSAFE_SIZE(64)], tr[LOGSAFE_SIZE(16)];
	char id[LOGSAFE_SIZE(64)], ak[LOGSAFE_SIZE(128)];
	int i;

	if (c->id_opt)
		c->id = xstrdup(c->id_opt);
	else if (ev && ev->id && *ev->id)
		c->id = xstrdup(ev->id);
	else {
		c->id = uuid4();
		info("no interaction id given: generated interaction=%s", c->id);
	}
	c->tenant = xstrdup(c->tenant_opt ? c->tenant_opt :
	    ev && ev->tenant && *ev->tenant ? ev->tenant : "default");
	c->stream_sid = dup_or_null(c->sid_opt ? c->sid_opt :
	    ev ? ev->stream_sid : NULL);
	c->track = dup_or_null(c->track_opt ? c->track_opt :
	    ev ? ev->track : NULL);
	n = (struct names){ c->id, c->tenant, c->stream_sid, c->track };
	p->audio_key = tpl_expand(c->chan_tpl, &n);
	for (i = 0; i < NROUTES; i++)
		p->route_key[i] = c->route_tpl[i] ?
		    tpl_expand(c->route_tpl[i], &n) : NULL;
	frame_head(&p->head, &n);
	p->stream_sid = xstrdup(c->stream_sid ? c->stream_sid : "");
	if (p->claim_s) {
		p->claim_key = derived("claim:", p->audio_key, c->id);
		p->seq_key = derived("seq:", p->audio_key, c->id);
		claim_token(p);
		/* -s takes the dead publisher's token from -P instead. */
		if (!c->oneshot) {
			p->claim = CLAIM_WANT;
			token_progress(c);
		}
	}
	p->resolved = 1;
	debug("publishing interaction=%s stream=%s track=%s audio=%s",
	    logsafe(c->id, id, sizeof id),
	    logsafe(c->stream_sid ? c->stream_sid : "", sid, sizeof sid),
	    logsafe(c->track ? c->track : "", tr, sizeof tr),
	    logsafe(p->audio_key, ak, sizeof ak));
}
