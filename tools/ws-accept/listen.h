/*
 * listen.h - ws-accept's own listening sockets and the first read of each
 * plain connection (see listen.c).
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <libwebsockets.h>

/*
 * Open a listener on every address host names, on port (0: one the
 * kernel picks, the same for every address).  Returns the port, or -1
 * with the reason in err.
 */
int listen_open(const char *host, int port, char *err, size_t errlen);
/* Close the listeners not yet adopted. */
void listen_close(void);
/* Hand the listeners to the loop, on the internal vhost. */
int listen_adopt(struct lws_vhost *internal);

/* The callbacks of the internal protocols LWSPROTO_LISTEN and _PREHEAD. */
int listen_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);
int prehead_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

#endif
