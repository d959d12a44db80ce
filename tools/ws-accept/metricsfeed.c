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
#include "lines.h"
#include "msg.h"
#include "server.h"

struct mfeed {
	struct lws *wsi;
	struct call *c;		/* NULL once the call is gone */
	int fd;
	struct lines lines;	/* of at most METRICS_LINE_MAX - 1 bytes */
};

static void
take(void *ctx, const char *s, size_t n)
{
	struct mfeed *mf = ctx;

	if (intake_line(s, n) < 0)
		debug("call=%s metrics line refused bytes=%zu", mf->c ?
		    mf->c->id : "-", n);
}

/* A line past METRICS_LINE_MAX: counted as malformed. */
static void
too_long(void *ctx)
{
	take(ctx, "", 0);
}

/* Read what is there.  -1 at EOF or on an error. */
static int
feed(struct mfeed *mf)
{
	char b[4096];
	ssize_t r;

	for (;;) {
		r = read(mf->fd, b, sizeof b);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0)
			return -1;
		if (lines_feed(&mf->lines, b, (size_t)r, METRICS_LINE_MAX - 1,
		    take, too_long, mf) < 0)
			return -1;
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
		buf_free(&mf->lines.part);
		free(mf);
		return 0;
	default:
		return 0;
	}
}
