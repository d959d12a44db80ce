/*
 * jwt-sign.h - mint JWS compact tokens for tests (HS256, RS256, ES256,
 * none, or a header that lies about the algorithm).  Header-only so that
 * both tests/bin/jwt-mint and tests/bin/auth-unit use the same code
 * without a library of their own; the shell tests also mint tokens with
 * the openssl command so that this code is never checked only against
 * itself.
 */
#ifndef JWT_SIGN_H
#define JWT_SIGN_H

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base64.h"
#include "base64url.h"

/* base64url without padding of n bytes of in; malloc'd, caller frees. */
static char *
b64url(const void *in, size_t n)
{
	char *out = malloc(BASE64_ENCODED_LEN(n) + 1);

	if (out != NULL)
		base64url_encode(in, n, out);
	return out;
}

/*
 * ES256 signatures come out with a low S (s <= n/2, what ws-accept
 * requires); set this to get the high-S twin of each instead (s' = n - s,
 * as valid to OpenSSL, refused by ws-accept).
 */
static int jwt_sign_high_s;

/* s, or n - s, so that it is low (or high, jwt_sign_high_s); P-256's n. */
static int
es256_s(const BIGNUM *s, unsigned char out[32])
{
	BIGNUM *n = NULL, *half = BN_new(), *t = BN_new();
	int r = -1, high;

	if (half && t && BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFF"
	    "BCE6FAADA7179E84F3B9CAC2FC632551") && BN_rshift1(half, n)) {
		high = BN_cmp(s, half) > 0;
		if (high != jwt_sign_high_s ? BN_sub(t, n, s) : BN_copy(t, s) != NULL)
			r = BN_bn2binpad(t, out, 32) == 32 ? 0 : -1;
	}
	BN_free(n);
	BN_free(half);
	BN_free(t);
	return r;
}

/*
 * Sign input (n bytes) for how: "HS256" (HMAC-SHA256 with secret),
 * "RS256"/"ES256" (with the private key pkey; ES256 as JOSE r||s),
 * anything else: empty signature.  Returns a malloc'd signature with its
 * length in *siglen, or NULL.
 */
static unsigned char *
jwt_sign_bytes(const char *how, const char *input, size_t n,
    const unsigned char *secret, size_t secretlen, EVP_PKEY *pkey,
    size_t *siglen)
{
	unsigned char *sig = NULL, *der = NULL;
	const unsigned char *dp;
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	size_t len = 0;

	*siglen = 0;
	if (strcmp(how, "HS256") == 0) {
		if ((sig = malloc(EVP_MAX_MD_SIZE)) == NULL ||
		    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
		    secretlen, (const unsigned char *)input, n, sig,
		    EVP_MAX_MD_SIZE, siglen) == NULL) {
			free(sig);
			return NULL;
		}
		return sig;
	}
	if (strcmp(how, "RS256") != 0 && strcmp(how, "ES256") != 0)
		return malloc(1);	/* "none": empty signature */
	if (pkey == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)input,
	    n) != 1 || (sig = malloc(len)) == NULL ||
	    EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input,
	    n) != 1) {
		EVP_MD_CTX_free(ctx);
		free(sig);
		return NULL;
	}
	EVP_MD_CTX_free(ctx);
	if (strcmp(how, "RS256") == 0) {
		*siglen = len;
		return sig;
	}
	/* ES256: DER ECDSA-Sig-Value to 32-byte r || 32-byte s. */
	dp = der = sig;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)len);
	sig = malloc(64);
	if (es == NULL || sig == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 ||
	    es256_s(ECDSA_SIG_get0_s(es), sig + 32) < 0) {
		free(sig);
		sig = NULL;
	} else
		*siglen = 64;
	ECDSA_SIG_free(es);
	free(der);
	return sig;
}

/*
 * A whole token: base64url(header) "." base64url(payload) "." signature
 * made as how says (see jwt_sign_bytes).  header and payload are used
 * verbatim (borrowed).  Returns a malloc'd string, or NULL.
 */
static char *
jwt_sign(const char *header, const char *payload, const char *how,
    const unsigned char *secret, size_t secretlen, EVP_PKEY *pkey)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	char *input = NULL, *s = NULL, *tok = NULL;
	unsigned char *sig = NULL;
	size_t siglen, n;

	if (h == NULL || p == NULL)
		goto out;
	n = strlen(h) + 1 + strlen(p);
	if ((input = malloc(n + 1)) == NULL)
		goto out;
	strcpy(input, h);
	strcat(input, ".");
	strcat(input, p);
	if ((sig = jwt_sign_bytes(how, input, n, secret, secretlen, pkey,
	    &siglen)) == NULL || (s = b64url(sig, siglen)) == NULL)
		goto out;
	if ((tok = malloc(n + 1 + strlen(s) + 1)) == NULL)
		goto out;
	strcpy(tok, input);
	strcat(tok, ".");
	strcat(tok, s);
out:
	free(h);
	free(p);
	free(input);
	free(sig);
	free(s);
	return tok;
}

#endif
