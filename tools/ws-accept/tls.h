/*
 * tls.h - wss:// as deployed: the TLS profile, the certificate pair in
 * force and its reload on SIGHUP, and the certificate's expiry for
 * /metrics.  Everything about TLS lives in tls.c; the rest of ws-accept
 * makes four calls: tls_init() at start, tls_context_info() while building
 * the lws context, tls_vhost_ctx() from the port's protocol callback, and
 * tls_reload() when SIGHUP arrives.  All of it runs on the event loop's
 * one thread.
 *
 * The profile, by default Mozilla's "intermediate" server configuration:
 * TLS 1.2 with ECDHE or DHE key exchange and AEAD ciphers only, and TLS
 * 1.3; no compression, no renegotiation, no session tickets.
 *
 *	TLS_MIN_VERSION	1.2 (default) or 1.3
 *	TLS_CIPHERS	OpenSSL cipher string for TLS 1.2 (TLS_CIPHERS_DEFAULT);
 *			TLS 1.3 always offers TLS13_SUITES
 *
 * A value OpenSSL refuses stops the start (exit 100) with one line.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

#include <libwebsockets.h>

#define TLS_CIPHERS_DEFAULT \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
/* Key exchange groups, Mozilla's list; DHE uses RFC 7919 ffdhe by key size. */
#define TLS_GROUPS "X25519:prime256v1:secp384r1"

/*
 * At start, before the lws context: read TLS_MIN_VERSION and TLS_CIPHERS,
 * check them against OpenSSL, load the pair cert/key (borrowed paths, kept
 * for reloads; NULL: plain ws://, nothing to do) and log the certificate
 * in force.  A bad setting or a pair that does not load exits 100 with a
 * line naming the reason.
 */
void tls_init(const char *cert, const char *key);

/*
 * Make ci's default vhost speak TLS with an SSL_CTX lws creates without a
 * certificate: tls_vhost_ctx() then gives it the profile and the pair.
 */
void tls_context_info(struct lws_context_creation_info *ci);

/*
 * LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: ctx (borrowed, the
 * vhost's SSL_CTX) gets the profile and a certificate callback that hands
 * each new handshake the pair in force.  0, or -1 (lws fails the start).
 */
int tls_vhost_ctx(void *ctx);

/*
 * SIGHUP: load the pair again from the same paths.  Loaded, it is in
 * force for every new handshake (connections already up keep theirs);
 * refused (missing, key not matching, expired, ...), a warning names the
 * reason and the old pair stays.  With TLS off, logs that there is
 * nothing to reload.
 */
void tls_reload(void);

/*
 * The certificate's expiry and the reload counts, Prometheus text,
 * appended to out (len bytes); returns the bytes written (nothing with
 * TLS off).
 */
size_t tls_metrics(char *out, size_t len);

void tls_free(void);

#endif
