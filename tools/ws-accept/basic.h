/*
 * basic.h - HTTP Basic credentials (RFC 7617) for Exotel: the configured
 * key:token pairs and the check of a presented header.
 *
 * Pairs are kept only as SHA-256 digests of "key:token", and a presented
 * pair is compared with every configured digest, without early exit, in
 * constant time: neither the content, the length, nor which entry
 * matched leaks through timing, and no plain token stays in memory.
 */
#ifndef BASIC_H
#define BASIC_H

#include <stddef.h>

#include "cidr.h"	/* TENANT_MAX, tenant_ok */

#define BASIC_KEY_MAX 127	/* longest key (it becomes the principal) */
#define BASIC_PAIR_MAX 1024	/* longest key:token pair */

struct basic_creds {
	unsigned char (*digest)[32];	/* owned; n SHA-256 digests */
	char (*tenant)[TENANT_MAX + 1];	/* owned; per pair, "" when unbound */
	size_t n;
};

/*
 * Load the credentials from spec (borrowed): comma-separated key:token
 * pairs, or "@/path/file" with one pair per line, blank lines and lines
 * starting with '#' ignored, blanks around a pair trimmed.  A pair needs a
 * non-empty key without control characters and a non-empty token.  A
 * pair may be bound to a tenant, key:token:tenant (tenant_ok): with two
 * or more ':' the text after the last one is the tenant, so a token that
 * holds ':' is written key:tok:en: (an empty tenant: unbound).  0 on success; -1 with the reason in err, naming the
 * entry by number, never by content.
 */
int basic_load(struct basic_creds *bc, const char *spec, char *err,
    size_t errlen);
void basic_free(struct basic_creds *bc);

/*
 * Decode the credentials part of a Basic header (b64 borrowed, n bytes):
 * the key is copied into key (BASIC_KEY_MAX + 1 bytes).  Returns 1 when
 * the pair matches a configured one (its index in *entry, for its
 * tenant), 0 when it does not, -1 when the header is not base64 of
 * key:token.
 */
int basic_check(const struct basic_creds *bc, const char *b64, size_t n,
    char *key, size_t *entry);

#endif
