/*
 * metricsfeed.c - the read end of each call's METRICS_FD pipe, in the
 * loop: lines go to intake_line() (intake.h).  The pipe outlives neither
 * its writers (EOF closes it) nor its call (call_free drains what is
 * there and closes it), so a daemon started by a handler cannot keep it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "callstate.h"
#include "intake.h"
#include "io.h"
#include "msg.h"
#include "server.h"

struct mfeed {
	struct lws *wsi;
	struct call *c;		/* NULL once the call is gone */
	int fd;
	struct buf part;	/* a line not yet ended */
	int skipping;		/* inside a line past METRICS_LINE_MAX */
};

static void
take(struct mfeed *mf, const char *s, size_t n)
{
	if (intake_line(s, n) < 0)
		debug("call=%s metrics line refused bytes=%zu", mf->c ?
		    mf->c->id : "-", n);
}

/* Read what is there.  -1 at EOF or on an error. */
static int
feed(struct mfeed *mf)
{
	char b[4096], *s, *nl;
	ssize_t r;
	size_t n;

	for (;;) {
		r = read(mf->fd, b, sizeof b);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0)
			return -1;
		s = b;
		n = (size_t)r;
		while ((nl = memchr(s, '\n', n)) != NULL) {
			size_t k = (size_t)(nl - s);

			if (mf->skipping)
				mf->skipping = 0;
			else if (mf->part.len) {
				if (buf_append(&mf->part, s, k) == 0)
					take(mf, mf->part.p, mf->part.len);
				mf->part.len = 0;
			} else
				take(mf, s, k);
			s += k + 1;
			n -= k + 1;
		}
		if (n && !mf->skipping) {
			if (mf->part.len + n >= METRICS_LINE_MAX) {
				take(mf, "", 0);	/* counted as malformed */
				mf->part.len = 0;
				mf->skipping = 1;
			} else if (buf_append(&mf->part, s, n) < 0)
				return -1;
		}
	}
}

int
mfeed_open(struct call *c)
{
	struct mfeed *mf;
	int p[2];

	if ((mf = calloc(1, sizeof *mf)) == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(mf);
		return -1;
	}
	/* The writers never block: a full pipe loses a flush (metrics.h). */
	fd_nonblock(p[1], 1);
	fd_nonblock(p[0], 1);
	mf->fd = p[0];
	mf->c = c;
	if ((mf->wsi = internal_adopt(p[0], LWSPROTO_METRICS, mf)) == NULL) {
		free(mf);	/* lws closed p[0] */
		close(p[1]);
		return -1;
	}
	c->mf = mf;
	return p[1];
}

void
mfeed_detach(struct call *c)
{
	struct mfeed *mf = c->mf;

	if (mf == NULL)
		return;
	feed(mf);
	mf->c = NULL;
	c->mf = NULL;
	kill_wsi(mf->wsi);
}

int
mfeed_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct mfeed *mf = lws_get_opaque_user_data(wsi);

	(void)user, (void)in, (void)len;
	if (mf == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		return feed(mf);
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		lws_set_opaque_user_data(wsi, NULL);
		if (mf->c)
			mf->c->mf = NULL;
		buf_free(&mf->part);
		free(mf);
		return 0;
	default:
		return 0;
	}
}
