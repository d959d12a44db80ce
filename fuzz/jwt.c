/*
 * fuzz/jwt.c - libFuzzer target: ws-accept's JWT verification
 * (tools/ws-accept/jwt.c) on any bytes as the token, with an HS256 secret
 * and an ES256 key configured.  The fuzzer cannot forge a signature, so
 * this exercises everything before and around it: segment splitting,
 * base64url (canonical only), the header's JSON, alg pinning, DER
 * conversion and low-S, and (from the seed signed with the secret) the
 * claims checks.  Invariant: what verifies has NUL-terminated claims.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ec_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuUWQ3uBUueWVw1cIxEP1xVOo6Lox\n"
    "z7LM/mRNbaGypBhIfRQWWJYs9Hq4SGHdMM9AE7+wgPr9s1/XrgC9WO3EPQ==\n"
    "-----END PUBLIC KEY-----\n";

static struct jwt_keys hs, es;

static void
init(void)
{
	char err[256];

	hs.secret = (unsigned char *)strdup("0123456789abcdef0123456789abcdef");
	hs.secretlen = 32;
	hs.leeway = 30;
	hs.max_lifetime = 86400;
	hs.audience = strdup("ingest");
	es.leeway = 30;
	if (jwt_load_public_key(&es, ec_pub, err, sizeof err) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct jwt_claims c;
	char *tok;

	if (!ready) {
		init();
		ready = 1;
	}
	if ((tok = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	if ((jwt_verify(&hs, tok, size, 1700000000, &c) == JWT_OK ||
	    jwt_verify(&es, tok, size, 1700000000, &c) == JWT_OK) &&
	    (strlen(c.sub) >= sizeof c.sub || strlen(c.json) >= sizeof c.json))
		abort();
	free(tok);
	return 0;
}
