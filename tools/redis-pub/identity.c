/*
 * identity.c - which call this is: options, environment, the start
 * event, or a generated id.  See call.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "call.h"
#include "frame.h"
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
 * Fix the call's identity: options and environment first, then what the
 * start event said (id_ev, tenant_ev borrowed, may be NULL), then a
 * generated id and tenant "default".  Until then nothing is sent.
 */
void
resolve(struct call *c, const char *id_ev, const char *tenant_ev)
{
	struct pub *p = &c->p;

	if (c->id_opt)
		c->id = xstrdup(c->id_opt);
	else if (id_ev && *id_ev)
		c->id = xstrdup(id_ev);
	else {
		c->id = uuid4();
		info("no interaction id given: generated interaction=%s", c->id);
	}
	c->tenant = xstrdup(c->tenant_opt ? c->tenant_opt :
	    tenant_ev && *tenant_ev ? tenant_ev : "default");
	p->audio_key = tpl_expand(c->chan_tpl, c->id, c->tenant);
	p->events_key = c->events_tpl ?
	    tpl_expand(c->events_tpl, c->id, c->tenant) : NULL;
	frame_head(&p->head, c->id, c->tenant);
	p->resolved = 1;
	debug("publishing interaction=%s tenant=%s audio=%s events=%s",
	    c->id, c->tenant, p->audio_key, p->events_key ? p->events_key : "-");
}
