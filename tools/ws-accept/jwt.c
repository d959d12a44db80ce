/*
 * jwt.c - JWT verification with OpenSSL 3 and libjq.  See jwt.h.
 *
 * Order of work: shape and size, header (alg pinned before any crypto),
 * signature over the first two segments as they came, and only then the
 * payload: nothing in an unverified payload is ever looked at.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jv.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "base64url.h"
#include "jsonget.h"
#include "jsonvalid.h"
#include "jwt.h"

static const char *const status_text[] = {
	[JWT_OK] = "jwt ok",
	[JWT_MALFORMED] = "jwt malformed",
	[JWT_TOO_LONG] = "jwt too long",
	[JWT_ALG_NONE] = "jwt alg none refused",
	[JWT_ALG_MISMATCH] = "jwt alg mismatch",
	[JWT_CRIT] = "jwt crit header refused",
	[JWT_NO_KEY] = "jwt no key configured",
	[JWT_BAD_SIGNATURE] = "jwt bad signature",
	[JWT_NO_EXP] = "jwt missing exp",
	[JWT_EXPIRED] = "jwt expired",
	[JWT_NOT_YET_VALID] = "jwt not yet valid",
	[JWT_BAD_AUDIENCE] = "jwt wrong audience",
	[JWT_BAD_ISSUER] = "jwt wrong issuer",
	[JWT_BAD_CLAIMS] = "jwt bad claims",
	[JWT_CLAIMS_TOO_LARGE] = "jwt claims too large",
	[JWT_EXP_TOO_FAR] = "jwt exp too far ahead",
};

const char *
jwt_strerror(enum jwt_status st)
{
	if ((size_t)st < sizeof status_text / sizeof status_text[0] &&
	    status_text[st])
		return status_text[st];
	return "jwt error";
}

/* --- base64url segments ------------------------------------------------ */

/*
 * Decode one unpadded base64url segment (borrowed).  Returns a malloc'd
 * buffer the caller frees, with its length in *outlen; NULL when the
 * segment is empty or not canonical base64url (padding, '+', '/' and
 * blanks are refused: JWS compact serialization has none of them).
 */
static unsigned char *
segment_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *out;
	long got;

	if (n == 0)
		return NULL;
	if ((out = malloc(BASE64_DECODED_MAX(n) + 1)) == NULL)
		return NULL;
	if ((got = base64url_decode(s, n, out)) < 0) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)got;
	return out;
}

/* --- JSON, through libjq (STYLE.md: check kinds before jv_object_get) --- */

/*
 * Parse len bytes of buf (borrowed) as one JSON object.  Returns the
 * object (caller owns it), or an invalid jv the caller frees.
 */
static jv
json_object(const unsigned char *buf, size_t len)
{
	jv v;

	if (memchr(buf, '\0', len) != NULL)	/* jq would stop there */
		return jv_invalid();
	/* libjq 1.6 leaks on some syntax errors (jsonvalid.h): check first. */
	if (!json_valid((const char *)buf, len, 64))
		return jv_invalid();
	v = jv_parse_sized((const char *)buf, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/*
 * Copy member key of obj (borrowed) into out.  A string must fit and hold
 * no control characters (these values end up in log lines and the
 * handler's environment); an integer is written in decimal when
 * numbers_ok.  Returns 1 copied, 0 absent, -1 unacceptable.
 */
static int
string_member(jv obj, const char *key, char *out, size_t outlen,
    int numbers_ok)
{
	jv v = json_get(obj, key);
	const char *s;
	double d;
	int len, i, r = -1;

	switch (jv_get_kind(v)) {
	case JV_KIND_INVALID:
		r = 0;
		break;
	case JV_KIND_STRING:
		s = jv_string_value(v);
		len = jv_string_length_bytes(jv_copy(v));
		if ((size_t)len >= outlen)
			break;
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				break;
		if (i < len)
			break;
		memcpy(out, s, (size_t)len);
		out[len] = '\0';
		r = 1;
		break;
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		if (!numbers_ok || !isfinite(d) || d != floor(d) ||
		    fabs(d) > 9007199254740992.0)
			break;
		snprintf(out, outlen, "%.0f", d);
		r = 1;
		break;
	default:
		break;
	}
	jv_free(v);
	return r;
}

/* Numeric member key of obj (borrowed): 1 found, 0 absent, -1 not a number. */
static int
number_member(jv obj, const char *key, double *out)
{
	jv v = json_get(obj, key);
	int r;

	if (jv_get_kind(v) == JV_KIND_INVALID)
		r = 0;
	else if (jv_get_kind(v) == JV_KIND_NUMBER &&
	    isfinite(jv_number_value(v))) {
		*out = jv_number_value(v);
		r = 1;
	} else
		r = -1;
	jv_free(v);
	return r;
}

/*
 * Is v (borrowed) the string want, byte for byte?  A JSON string may hold
 * "\u0000", so strcmp() would stop early: compare lengths too.
 */
static int
string_is(jv v, const char *want)
{
	size_t n = strlen(want);

	return jv_get_kind(v) == JV_KIND_STRING &&
	    (size_t)jv_string_length_bytes(jv_copy(v)) == n &&
	    memcmp(jv_string_value(v), want, n) == 0;
}

/* Is want the aud of payload (borrowed): a string, or one of an array's? */
static int
audience_ok(jv payload, const char *want)
{
	jv aud = json_get(payload, "aud"), item;
	int i, n, ok = 0;

	if (jv_get_kind(aud) == JV_KIND_STRING)
		ok = string_is(aud, want);
	else if (jv_get_kind(aud) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(aud));
		for (i = 0; i < n && !ok; i++) {
			item = jv_array_get(jv_copy(aud), i);
			ok = string_is(item, want);
			jv_free(item);
		}
	}
	jv_free(aud);
	return ok;
}

/* --- header: the algorithm is decided by the keys, not the token ------- */

/* Check the decoded header; sets *alg to the pinned algorithm name. */
static enum jwt_status
check_header(const struct jwt_keys *keys, const unsigned char *buf,
    size_t len, const char **alg)
{
	jv h = json_object(buf, len), crit;
	char name[16];
	enum jwt_status st = JWT_OK;

	if (!jv_is_valid(h)) {
		jv_free(h);
		return JWT_MALFORMED;
	}
	if (string_member(h, "alg", name, sizeof name, 0) != 1)
		st = JWT_MALFORMED;
	else if (strcasecmp(name, "none") == 0)
		st = JWT_ALG_NONE;
	else if (keys->secret == NULL && keys->pkey == NULL)
		st = JWT_NO_KEY;
	else if (keys->secret && strcmp(name, "HS256") == 0)
		*alg = "HS256";
	else if (keys->pkey && strcmp(name, keys->pkey_alg) == 0)
		*alg = keys->pkey_alg;
	else
		st = JWT_ALG_MISMATCH;
	if (st == JWT_OK) {
		/* RFC 7515 4.1.11: unknown critical extensions must fail. */
		crit = json_get(h, "crit");
		if (jv_get_kind(crit) != JV_KIND_INVALID)
			st = JWT_CRIT;
		jv_free(crit);
	}
	jv_free(h);
	return st;
}

/* --- signatures -------------------------------------------------------- */

static int
verify_hs256(const struct jwt_keys *keys, const char *input, size_t n,
    const unsigned char *sig, size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, keys->secret,
	    keys->secretlen, (const unsigned char *)input, n, mac, sizeof mac,
	    &maclen) == NULL)
		return 0;
	return siglen == maclen && maclen == 32 &&
	    CRYPTO_memcmp(mac, sig, maclen) == 0;
}

/*
 * JOSE ES256 signatures are r||s, 32 bytes each (RFC 7518 3.4); OpenSSL
 * verifies DER.  Returns a malloc'd DER copy (caller frees) or NULL.
 */
static unsigned char *
es256_to_der(const unsigned char *sig, size_t siglen, size_t *derlen)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int n;

	/* Half the order of P-256: a larger s is the malleated twin. */
	static const unsigned char half_n[32] = {
		0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00,
		0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
		0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8
	};

	if (siglen != 64 || memcmp(sig + 32, half_n, 32) > 0 ||
	    (es = ECDSA_SIG_new()) == NULL)
		return NULL;
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, &der);	/* es owns r and s now */
	ECDSA_SIG_free(es);
	if (n <= 0)
		return NULL;
	*derlen = (size_t)n;
	return der;
}

/* RS256 (PKCS #1 v1.5) or ES256 with the configured public key. */
static int
verify_pkey(const struct jwt_keys *keys, const char *input, size_t n,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	unsigned char *der = NULL;
	size_t derlen = 0;
	int ok = 0;

	if (strcmp(keys->pkey_alg, "ES256") == 0) {
		if ((der = es256_to_der(sig, siglen, &derlen)) == NULL)
			return 0;
		sig = der;
		siglen = derlen;
	} else if (siglen != (size_t)EVP_PKEY_get_size(keys->pkey))
		return 0;
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    keys->pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen,
		    (const unsigned char *)input, n) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();	/* a bad signature is not a library error */
	return ok;
}

/* --- claims ------------------------------------------------------------ */

static enum jwt_status
check_claims(const struct jwt_keys *keys, const unsigned char *buf,
    size_t len, time_t now, struct jwt_claims *out)
{
	jv p = json_object(buf, len), dump;
	double exp, nbf;
	char iss[256];
	int r;
	enum jwt_status st = JWT_OK;

	if (!jv_is_valid(p)) {
		jv_free(p);
		return JWT_MALFORMED;
	}
	if ((r = number_member(p, "exp", &exp)) < 0)
		st = JWT_BAD_CLAIMS;
	else if (r == 0)
		st = JWT_NO_EXP;
	else if ((double)now >= exp + (double)keys->leeway)
		st = JWT_EXPIRED;
	else if (keys->max_lifetime > 0 && exp > (double)now +
	    (double)keys->max_lifetime + (double)keys->leeway)
		st = JWT_EXP_TOO_FAR;
	else if ((r = number_member(p, "nbf", &nbf)) < 0)
		st = JWT_BAD_CLAIMS;
	else if (r == 1 && (double)now + (double)keys->leeway < nbf)
		st = JWT_NOT_YET_VALID;
	else if (keys->audience && !audience_ok(p, keys->audience))
		st = JWT_BAD_AUDIENCE;
	else if (keys->issuer &&
	    (string_member(p, "iss", iss, sizeof iss, 0) != 1 ||
	    strcmp(iss, keys->issuer) != 0))
		st = JWT_BAD_ISSUER;
	if (st != JWT_OK)
		goto done;
	out->sub[0] = out->tenant[0] = '\0';
	if (string_member(p, "sub", out->sub, sizeof out->sub, 0) < 0 ||
	    (r = string_member(p, "tenant_id", out->tenant,
	    sizeof out->tenant, 1)) < 0 ||
	    (r == 0 && string_member(p, "tenant", out->tenant,
	    sizeof out->tenant, 1) < 0)) {
		st = JWT_BAD_CLAIMS;
		goto done;
	}
	dump = jv_dump_string(jv_copy(p), 0);	/* 0: compact, one line */
	if ((size_t)jv_string_length_bytes(jv_copy(dump)) >= sizeof out->json)
		st = JWT_CLAIMS_TOO_LARGE;
	else
		strcpy(out->json, jv_string_value(dump));
	jv_free(dump);
done:
	jv_free(p);
	return st;
}

/* --- the whole token --------------------------------------------------- */

enum jwt_status
jwt_verify(const struct jwt_keys *keys, const char *token, size_t len,
    time_t now, struct jwt_claims *out)
{
	const char *dot1, *dot2, *alg = NULL;
	unsigned char *hdr = NULL, *sig = NULL, *body = NULL;
	size_t hdrlen, siglen, bodylen, signedlen;
	enum jwt_status st;
	int ok;

	if (len > JWT_MAX_TOKEN)
		return JWT_TOO_LONG;
	/* Exactly three segments; JWE (five) is not accepted. */
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)))
	    == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return JWT_MALFORMED;
	signedlen = (size_t)(dot2 - token);
	if ((hdr = segment_decode(token, (size_t)(dot1 - token), &hdrlen))
	    == NULL)
		return JWT_MALFORMED;
	st = check_header(keys, hdr, hdrlen, &alg);
	free(hdr);
	if (st != JWT_OK)
		return st;
	if ((sig = segment_decode(dot2 + 1, len - signedlen - 1, &siglen))
	    == NULL ||
	    (body = segment_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    &bodylen)) == NULL) {
		free(sig);
		return JWT_MALFORMED;
	}
	if (strcmp(alg, "HS256") == 0)
		ok = verify_hs256(keys, token, signedlen, sig, siglen);
	else
		ok = verify_pkey(keys, token, signedlen, sig, siglen);
	st = ok ? check_claims(keys, body, bodylen, now, out) :
	    JWT_BAD_SIGNATURE;
	free(sig);
	free(body);
	return st;
}

/* --- keys -------------------------------------------------------------- */

/*
 * PEM text from the environment, with "\n" written as backslash-n (the
 * way one-line .env files carry it) turned back into newlines.  Returns a
 * malloc'd copy the caller frees.
 */
static char *
pem_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* A PUBLIC KEY, else a CERTIFICATE's key, from bio (borrowed). */
static EVP_PKEY *
read_pubkey(BIO *bio)
{
	EVP_PKEY *k;
	X509 *x;

	if ((k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) != NULL)
		return k;
	if (BIO_reset(bio) != 0)
		return NULL;
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

int
jwt_load_public_key(struct jwt_keys *keys, const char *spec, char *err,
    size_t errlen)
{
	BIO *bio;
	FILE *f;
	EVP_PKEY *k = NULL;
	char *text = NULL, group[64];
	const char *alg = NULL;
	size_t glen = 0;

	if (strstr(spec, "-----BEGIN") != NULL) {
		if ((text = pem_unescape(spec)) == NULL) {
			snprintf(err, errlen, "JWT_PUBLIC_KEY: out of memory");
			return -1;
		}
		bio = BIO_new_mem_buf(text, -1);
	} else {
		if ((f = fopen(spec, "re")) == NULL) {
			snprintf(err, errlen, "JWT_PUBLIC_KEY: unable to open "
			    "%.200s: %s", spec, strerror(errno));
			return -1;
		}
		if ((bio = BIO_new_fp(f, BIO_CLOSE)) == NULL)
			fclose(f);
	}
	if (bio != NULL)
		k = read_pubkey(bio);
	BIO_free(bio);
	free(text);
	ERR_clear_error();
	if (k == NULL) {
		snprintf(err, errlen, "JWT_PUBLIC_KEY: no PEM public key or "
		    "certificate found");
		return -1;
	}
	if (EVP_PKEY_is_a(k, "RSA")) {
		if (EVP_PKEY_get_bits(k) >= 2048)
			alg = "RS256";
		else
			snprintf(err, errlen, "JWT_PUBLIC_KEY: RSA key of %d "
			    "bits, want at least 2048", EVP_PKEY_get_bits(k));
	} else if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(k,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) &&
		    strcmp(group, "prime256v1") == 0)
			alg = "ES256";
		else
			snprintf(err, errlen, "JWT_PUBLIC_KEY: EC key not on "
			    "P-256 (ES256 only)");
	} else
		snprintf(err, errlen, "JWT_PUBLIC_KEY: unsupported key type "
		    "%s (want RSA or EC P-256)", EVP_PKEY_get0_type_name(k));
	if (alg == NULL) {
		EVP_PKEY_free(k);
		return -1;
	}
	EVP_PKEY_free(keys->pkey);
	keys->pkey = k;
	keys->pkey_alg = alg;
	return 0;
}

void
jwt_keys_free(struct jwt_keys *keys)
{
	if (keys->secret)
		OPENSSL_cleanse(keys->secret, keys->secretlen);
	free(keys->secret);
	EVP_PKEY_free(keys->pkey);
	free(keys->audience);
	free(keys->issuer);
	memset(keys, 0, sizeof *keys);
}
