/*
 * tls.c - wss:// as deployed (see tls.h): the profile on the vhost's
 * SSL_CTX, the certificate pair in force, its reload on SIGHUP, and its
 * expiry in /metrics.
 *
 * Why the pair is not in the SSL_CTX: OpenSSL has no call that empties
 * an SSL_CTX's certificate slots, so a pair loaded over another of a
 * different key type (RSA, then ECDSA) would leave the old one served
 * beside it.  Here lws creates the SSL_CTX without a certificate and a
 * certificate callback gives each new handshake the pair in force
 * (SSL_use_cert_and_key: the SSL takes its own references).  A reload
 * swaps the pair between two handshakes; a connection already up keeps
 * the SSL it has, so live calls never notice.
 *
 * Before a pair is put in force it is loaded and checked in full: both
 * files read, the key matches, the certificate is valid now, and a
 * scratch SSL_CTX with the same profile accepts it (key size and
 * signature at OpenSSL's security level).  Anything less is refused with
 * the reason and the old pair stays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "tls.h"

/* A certificate pair and what the log and /metrics say about it. */
struct pair {
	X509 *x;			/* owned: the leaf */
	STACK_OF(X509) *chain;		/* owned: the rest of the file */
	EVP_PKEY *pkey;			/* owned */
	time_t not_after;
	char subject[LOGSAFE_SIZE(256)];
	char issuer[LOGSAFE_SIZE(256)];
	char serial[2 * 20 + 1];	/* RFC 5280: at most 20 octets */
	char not_after_s[32];		/* 2027-03-01T12:00:00Z */
	char key[32];			/* RSA-2048, EC-256, ... */
};

static struct {
	const char *cert, *key;		/* borrowed (argv or environment) */
	int min_version;		/* TLS1_2_VERSION or TLS1_3_VERSION */
	const char *ciphers;		/* borrowed; TLS 1.2 cipher string */
	struct pair *cur;		/* owned: in force; NULL: TLS off */
	unsigned long long reload_ok, reload_refused;
} tls;

/* OpenSSL's reason for the last failure, and its error queue emptied. */
static const char *
ossl_reason(void)
{
	static char buf[160];
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, sizeof buf, "%s", r ? r : "unknown OpenSSL error");
	ERR_clear_error();
	return buf;
}

/*
 * The profile on ctx (borrowed).  0, or -1 with why filled: the only
 * settings that can fail are the operator's.
 */
static int
profile_apply(SSL_CTX *ctx, char *why, size_t len)
{
	if (!SSL_CTX_set_min_proto_version(ctx, tls.min_version) ||
	    !SSL_CTX_set_max_proto_version(ctx, 0)) {
		snprintf(why, len, "unable to set the TLS versions: %s",
		    ossl_reason());
		return -1;
	}
	if (!SSL_CTX_set_cipher_list(ctx, tls.ciphers)) {
		snprintf(why, len, "invalid TLS_CIPHERS: %s (OpenSSL: %s)",
		    tls.ciphers, ossl_reason());
		return -1;
	}
	if (!SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) ||
	    !SSL_CTX_set_dh_auto(ctx, 1)) {
		snprintf(why, len, "unable to set the TLS profile: %s",
		    ossl_reason());
		return -1;
	}
	/*
	 * Tickets: the key would live as long as the process, so one leak
	 * opens every recorded session; resumption still works from the
	 * session cache.  Client order: every suite of the profile is
	 * strong, the client knows which is fast on its hardware.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_ALLOW_CLIENT_RENEGOTIATION |
	    SSL_OP_LEGACY_SERVER_CONNECT);
	return 0;
}

static void
pair_free(struct pair *p)
{
	if (p == NULL)
		return;
	X509_free(p->x);
	sk_X509_pop_free(p->chain, X509_free);
	EVP_PKEY_free(p->pkey);
	free(p);
}

/* name (borrowed) as one line's quoted value: RFC 2253, nothing escaping. */
static void
name_text(const X509_NAME *name, char *out, size_t len)
{
	char raw[257], safe[LOGSAFE_SIZE(256)];
	BIO *b = BIO_new(BIO_s_mem());
	size_t i, n = 0;
	int r = -1;

	if (b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		r = BIO_read(b, raw, sizeof raw - 1);
	BIO_free(b);
	raw[r > 0 ? r : 0] = '\0';
	logsafe_line(raw, safe, sizeof safe);
	/* logsafe_line keeps '"': it would end the quoted value. */
	for (i = 0; safe[i] && n + 5 < len; i++) {
		if (safe[i] == '"') {
			memcpy(out + n, "\\x22", 4);
			n += 4;
		} else
			out[n++] = safe[i];
	}
	out[n] = '\0';
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static void
iso_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What the log says about p (its certificate and key). */
static void
pair_describe(struct pair *p)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(p->x);
	BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	const char *kt;

	name_text(X509_get_subject_name(p->x), p->subject, sizeof p->subject);
	name_text(X509_get_issuer_name(p->x), p->issuer, sizeof p->issuer);
	snprintf(p->serial, sizeof p->serial, "%s", hex ? hex : "-");
	OPENSSL_free(hex);
	BN_free(bn);
	p->not_after = asn1_time(X509_get0_notAfter(p->x));
	iso_time(p->not_after, p->not_after_s, sizeof p->not_after_s);
	switch (EVP_PKEY_get_base_id(p->pkey)) {
	case EVP_PKEY_RSA:
		kt = "RSA";
		break;
	case EVP_PKEY_EC:
		kt = "EC";
		break;
	case EVP_PKEY_ED25519:
		kt = "ED25519";
		break;
	default:
		kt = "other";
		break;
	}
	snprintf(p->key, sizeof p->key, "%s-%d", kt, EVP_PKEY_get_bits(p->pkey));
}

/* OpenSSL asks for a passphrase: say there is none (no prompt, ever). */
static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf, (void)size, (void)rw, (void)u;
	return -1;
}

/*
 * Load and check the pair from the files cert and key (borrowed).
 * Returns it (owned by the caller), or NULL with why filled.
 */
static struct pair *
pair_load(const char *cert, const char *key, char *why, size_t len)
{
	char c[LOGSAFE_SIZE(128)], k[LOGSAFE_SIZE(128)], when[32];
	struct pair *p;
	SSL_CTX *scratch = NULL;
	FILE *f;
	X509 *x;
	time_t now = time(NULL);

	logsafe(cert, c, sizeof c);
	logsafe(key, k, sizeof k);
	ERR_clear_error();
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->chain = sk_X509_new_null()) == NULL) {
		snprintf(why, len, "out of memory");
		goto fail;
	}
	if ((f = fopen(cert, "r")) == NULL) {
		snprintf(why, len, "unable to read SSL_CERT_PATH %s: %s", c,
		    strerror(errno));
		goto fail;
	}
	p->x = PEM_read_X509_AUX(f, NULL, no_passphrase, NULL);
	while (p->x && (x = PEM_read_X509(f, NULL, no_passphrase, NULL)))
		if (!sk_X509_push(p->chain, x)) {
			X509_free(x);
			break;
		}
	fclose(f);
	if (p->x == NULL) {
		snprintf(why, len, "no PEM certificate in SSL_CERT_PATH %s (%s)",
		    c, ossl_reason());
		goto fail;
	}
	ERR_clear_error();	/* the chain's loop ends on "no start line" */
	if ((f = fopen(key, "r")) == NULL) {
		snprintf(why, len, "unable to read SSL_KEY_PATH %s: %s", k,
		    strerror(errno));
		goto fail;
	}
	p->pkey = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (p->pkey == NULL) {
		snprintf(why, len, "no unencrypted PEM private key in "
		    "SSL_KEY_PATH %s (%s)", k, ossl_reason());
		goto fail;
	}
	if (!X509_check_private_key(p->x, p->pkey)) {
		ERR_clear_error();
		snprintf(why, len, "the key in SSL_KEY_PATH %s does not match "
		    "the certificate in SSL_CERT_PATH %s", k, c);
		goto fail;
	}
	pair_describe(p);
	if (X509_cmp_time(X509_get0_notAfter(p->x), &now) <= 0) {
		snprintf(why, len, "the certificate in SSL_CERT_PATH %s expired "
		    "at %s (serial=%s)", c, p->not_after_s, p->serial);
		goto fail;
	}
	if (X509_cmp_time(X509_get0_notBefore(p->x), &now) > 0) {
		iso_time(asn1_time(X509_get0_notBefore(p->x)), when, sizeof when);
		snprintf(why, len, "the certificate in SSL_CERT_PATH %s is not "
		    "valid before %s (serial=%s)", c, when, p->serial);
		goto fail;
	}
	/* What a handshake will do with it, at the profile's security level. */
	if ((scratch = SSL_CTX_new(TLS_server_method())) == NULL ||
	    profile_apply(scratch, why, len) < 0)
		goto fail;
	if (!SSL_CTX_use_cert_and_key(scratch, p->x, p->pkey, p->chain, 1)) {
		snprintf(why, len, "OpenSSL refuses the certificate in "
		    "SSL_CERT_PATH %s: %s", c, ossl_reason());
		goto fail;
	}
	SSL_CTX_free(scratch);
	return p;
fail:
	SSL_CTX_free(scratch);
	pair_free(p);
	return NULL;
}

/* One line: the pair in force.  prefix: "" at start, "signal=HUP " after. */
static void
pair_log(const char *prefix, const struct pair *p, int changed)
{
	long days = (long)((p->not_after - time(NULL)) / 86400);

	info("%stls certificate in force subject=\"%s\" issuer=\"%s\" "
	    "serial=%s not_after=%s days_left=%ld key=%s%s", prefix,
	    p->subject, p->issuer, p->serial, p->not_after_s, days, p->key,
	    changed < 0 ? "" : changed ? " changed=yes" : " changed=no");
	if (days < 14)
		warnx_("tls certificate serial=%s expires in %ld days "
		    "(not_after=%s): renew it, then send SIGHUP", p->serial,
		    days, p->not_after_s);
}

/* Each new handshake: the pair in force.  1, or 0 to fail the handshake. */
static int
cert_cb(SSL *ssl, void *arg)
{
	struct pair *p = tls.cur;

	(void)arg;
	if (p == NULL)
		return 0;
	return SSL_use_cert_and_key(ssl, p->x, p->pkey, p->chain, 1) == 1;
}

void
tls_init(const char *cert, const char *key)
{
	const char *v = env_get("TLS_MIN_VERSION");
	char why[2048], c[LOGSAFE_SIZE(256)];
	SSL_CTX *scratch;

	if (cert == NULL)
		return;
	if (v == NULL)
		v = "1.2";
	if (!strcmp(v, "1.2"))
		tls.min_version = TLS1_2_VERSION;
	else if (!strcmp(v, "1.3"))
		tls.min_version = TLS1_3_VERSION;
	else
		fatal(EXIT_USAGE, "invalid TLS_MIN_VERSION: %s (want 1.2 or "
		    "1.3)", v);
	if ((tls.ciphers = env_get("TLS_CIPHERS")) == NULL)
		tls.ciphers = TLS_CIPHERS_DEFAULT;
	if ((scratch = SSL_CTX_new(TLS_server_method())) == NULL)
		fatal(EXIT_SYSTEM, "unable to create a TLS context: %s",
		    ossl_reason());
	if (profile_apply(scratch, why, sizeof why) < 0)
		fatal(EXIT_USAGE, "%s", why);
	SSL_CTX_free(scratch);
	tls.cert = cert;
	tls.key = key;
	if ((tls.cur = pair_load(cert, key, why, sizeof why)) == NULL)
		fatal(EXIT_USAGE, "%s", why);
	info("tls profile min_version=%s ciphers=%s", v,
	    !strcmp(tls.ciphers, TLS_CIPHERS_DEFAULT) ?
	    "mozilla-intermediate" : logsafe(tls.ciphers, c, sizeof c));
	pair_log("", tls.cur, -1);
}

void
tls_context_info(struct lws_context_creation_info *ci)
{
	ci->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
}

int
tls_vhost_ctx(void *ctx)
{
	char why[2048];

	if (tls.cur == NULL || ctx == NULL)
		return 0;
	if (profile_apply(ctx, why, sizeof why) < 0) {
		warnx_("%s", why);
		return -1;
	}
	SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
	return 0;
}

void
tls_reload(void)
{
	char why[2048];
	struct pair *p;
	int changed;

	if (tls.cur == NULL) {
		info("signal=HUP tls=off: no certificate to reload");
		return;
	}
	if ((p = pair_load(tls.cert, tls.key, why, sizeof why)) == NULL) {
		tls.reload_refused++;
		warnx_("signal=HUP tls reload refused: %s; the certificate in "
		    "force stays serial=%s not_after=%s", why, tls.cur->serial,
		    tls.cur->not_after_s);
		return;
	}
	changed = X509_cmp(p->x, tls.cur->x) != 0;
	pair_free(tls.cur);
	tls.cur = p;
	tls.reload_ok++;
	pair_log("signal=HUP ", p, changed);
}

size_t
tls_metrics(char *out, size_t len)
{
	int n;

	if (tls.cur == NULL || len == 0)
		return 0;
	n = snprintf(out, len,
	    "# HELP ws_accept_tls_certificate_expiry_timestamp_seconds When the certificate in force expires (its notAfter), seconds since the epoch.\n"
	    "# TYPE ws_accept_tls_certificate_expiry_timestamp_seconds gauge\n"
	    "ws_accept_tls_certificate_expiry_timestamp_seconds %lld\n"
	    "# HELP ws_accept_tls_reloads_total Certificate reloads on SIGHUP, by result.\n"
	    "# TYPE ws_accept_tls_reloads_total counter\n"
	    "ws_accept_tls_reloads_total{result=\"ok\"} %llu\n"
	    "ws_accept_tls_reloads_total{result=\"refused\"} %llu\n",
	    (long long)tls.cur->not_after, tls.reload_ok, tls.reload_refused);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

void
tls_free(void)
{
	pair_free(tls.cur);
	tls.cur = NULL;
}
