/*
 * jwt.h - JSON Web Token (RFC 7519) verification, JWS compact form only,
 * with OpenSSL 3 directly.  Not libjwt: 1.10 accepts alg none, verifies
 * HS256 with an RSA public key as the secret, and checks no claims.
 *
 * The algorithm is pinned by the configured keys, never chosen by the
 * token: HS256 is accepted only when a secret is configured and is then
 * verified only with that secret; RS256 or ES256 only when a public key of
 * that type is configured.  "none" is always refused.  exp is required,
 * and at most max_lifetime ahead; exp and nbf are checked with a leeway;
 * aud and iss when configured.  Every segment must be canonical base64url
 * (unused bits zero: one token, one spelling), and an ES256 signature must
 * have a low S (s <= n/2), so a signature has exactly one valid form.
 */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

/* Longest token accepted, in characters (headers are rarely over 4 KiB). */
#define JWT_MAX_TOKEN 8192

struct jwt_keys {
	unsigned char *secret;	/* HS256 secret, owned; NULL when unset */
	size_t secretlen;
	EVP_PKEY *pkey;		/* public key, owned; NULL when unset */
	const char *pkey_alg;	/* "RS256" or "ES256", implied by pkey */
	long leeway;		/* seconds allowed on exp and nbf */
	long max_lifetime;	/* exp at most this far ahead; 0: no bound */
	char *audience;		/* required aud, owned; NULL: not checked */
	char *issuer;		/* required iss, owned; NULL: not checked */
};

/* What a verified token says; NUL-terminated copies. */
struct jwt_claims {
	char sub[128];		/* "" when absent */
	char tenant[128];	/* tenant_id, else tenant, else "" */
	char json[4096];	/* the whole payload, compact JSON; longer refused */
};

enum jwt_status {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not three base64url segments of JSON */
	JWT_TOO_LONG,
	JWT_ALG_NONE,
	JWT_ALG_MISMATCH,	/* alg not the one the configured keys imply */
	JWT_CRIT,		/* a crit header we cannot honour */
	JWT_NO_KEY,		/* no secret nor public key configured */
	JWT_BAD_SIGNATURE,
	JWT_NO_EXP,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,
	JWT_BAD_AUDIENCE,
	JWT_BAD_ISSUER,
	JWT_BAD_CLAIMS,		/* wrong type, too long, or control characters */
	JWT_CLAIMS_TOO_LARGE,
	JWT_EXP_TOO_FAR		/* exp past now + max_lifetime (+ leeway) */
};

/*
 * Load a public key for RS256/ES256.  spec is PEM text (a "PUBLIC KEY" or
 * a certificate; "\n" written as backslash-n in a one-line environment
 * value is understood) or the path of a file holding it.  RSA keys must
 * have at least 2048 bits, EC keys must be on P-256.  On success sets
 * keys->pkey (owned by keys) and keys->pkey_alg and returns 0; otherwise
 * writes the reason (never the key) into err and returns -1.
 */
int jwt_load_public_key(struct jwt_keys *keys, const char *spec, char *err,
    size_t errlen);

/* Free what keys owns (the secret is wiped first); keys is reusable. */
void jwt_keys_free(struct jwt_keys *keys);

/*
 * Verify token (borrowed, len bytes, without the "Bearer " prefix) at
 * time now.  Fills *out only when JWT_OK is returned.
 */
enum jwt_status jwt_verify(const struct jwt_keys *keys, const char *token,
    size_t len, time_t now, struct jwt_claims *out);

/* Short, loggable text for a status ("jwt expired"); never the token. */
const char *jwt_strerror(enum jwt_status st);

#endif
