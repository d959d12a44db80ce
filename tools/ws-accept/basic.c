/*
 * basic.c - Basic credentials: loading and constant-time checking.
 * See basic.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base64.h"
#include "basic.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* SHA-256 of n bytes of p (borrowed) into d. */
static int
digest(const void *p, size_t n, unsigned char d[32])
{
	size_t len = 0;

	return EVP_Q_digest(NULL, "SHA256", NULL, p, n, d, &len) && len == 32;
}

/*
 * Is p (n bytes) a usable pair: a key of 1..BASIC_KEY_MAX printable
 * characters, a ':', a non-empty token without control characters?
 */
static int
pair_ok(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t i;

	if (colon == NULL || colon == p || (size_t)(colon - p) > BASIC_KEY_MAX ||
	    colon == p + n - 1 || n > BASIC_PAIR_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Add the entry at p (n bytes, trimmed), key:token or key:token:tenant,
 * to bc; -1 on a bad entry or ENOMEM.
 */
static int
add_pair(struct basic_creds *bc, const char *p, size_t n)
{
	unsigned char (*nd)[32];
	char (*nt)[TENANT_MAX + 1];
	const char *first = memchr(p, ':', n), *last = NULL, *q;
	size_t tl = 0;

	for (q = p; q < p + n; q++)
		if (*q == ':')
			last = q;
	if (first != NULL && last != first) {
		/* key:token:tenant */
		tl = n - (size_t)(last + 1 - p);
		if (tl > 0 && !tenant_ok(last + 1, tl))
			return -1;
		n = (size_t)(last - p);
	}
	if (!pair_ok(p, n))
		return -1;
	if ((nd = realloc(bc->digest, (bc->n + 1) * sizeof *nd)) == NULL)
		return -1;
	bc->digest = nd;
	if ((nt = realloc(bc->tenant, (bc->n + 1) * sizeof *nt)) == NULL)
		return -1;
	bc->tenant = nt;
	memcpy(bc->tenant[bc->n], p + n + 1, tl);
	bc->tenant[bc->n][tl] = '\0';
	if (!digest(p, n, bc->digest[bc->n]))
		return -1;
	bc->n++;
	return 0;
}

/* Trim blanks around [*p, *p + *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && blank(**p))
		(*p)++, (*n)--;
	while (*n > 0 && blank((*p)[*n - 1]))
		(*n)--;
}

static int
load_list(struct basic_creds *bc, const char *s, char *err, size_t errlen)
{
	const char *p, *end;
	size_t n, item = 0;

	for (p = s; *p; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		trim(&p, &n);
		item++;
		if (n == 0)
			continue;
		if (add_pair(bc, p, n) < 0) {
			snprintf(err, errlen, "EXOTEL_BASIC_AUTH: entry %zu: "
			    "want key:token", item);
			return -1;
		}
	}
	return 0;
}

static int
load_file(struct basic_creds *bc, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *line = NULL;
	const char *p;
	size_t cap = 0, n, lineno = 0;
	ssize_t got;
	int r = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "EXOTEL_BASIC_AUTH: unable to open "
		    "%.200s: %s", path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		p = line;
		n = (size_t)got;
		trim(&p, &n);
		if (n == 0 || *p == '#')
			continue;
		if (add_pair(bc, p, n) < 0) {
			snprintf(err, errlen, "EXOTEL_BASIC_AUTH: %.200s line "
			    "%zu: want key:token", path, lineno);
			r = -1;
			break;
		}
	}
	if (r == 0 && ferror(f)) {
		snprintf(err, errlen, "EXOTEL_BASIC_AUTH: unable to read "
		    "%.200s", path);
		r = -1;
	}
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	fclose(f);
	return r;
}

int
basic_load(struct basic_creds *bc, const char *spec, char *err,
    size_t errlen)
{
	int r;

	bc->digest = NULL;
	bc->n = 0;
	r = spec[0] == '@' ? load_file(bc, spec + 1, err, errlen) :
	    load_list(bc, spec, err, errlen);
	if (r == 0 && bc->n == 0) {
		snprintf(err, errlen, "EXOTEL_BASIC_AUTH: no key:token pair");
		r = -1;
	}
	if (r < 0)
		basic_free(bc);
	return r;
}

void
basic_free(struct basic_creds *bc)
{
	if (bc->digest)
		OPENSSL_cleanse(bc->digest, bc->n * sizeof *bc->digest);
	free(bc->digest);
	free(bc->tenant);
	bc->digest = NULL;
	bc->tenant = NULL;
	bc->n = 0;
}

int
basic_check(const struct basic_creds *bc, const char *b64, size_t n,
    char *key, size_t *entry)
{
	char pair[BASE64_DECODED_MAX(4 * BASIC_PAIR_MAX / 3 + 4)];
	unsigned char d[32];
	unsigned match = 0;
	const char *colon;
	long len;
	size_t i;

	trim(&b64, &n);
	if (n == 0 || n > 4 * BASIC_PAIR_MAX / 3 + 4)
		return -1;
	if ((len = base64_decode(b64, n, pair)) < 0 ||
	    !pair_ok(pair, (size_t)len))
		return -1;
	colon = memchr(pair, ':', (size_t)len);
	if (!digest(pair, (size_t)len, d)) {
		OPENSSL_cleanse(pair, sizeof pair);
		return 0;
	}
	/* Every entry, no early exit: the time does not depend on which. */
	*entry = 0;
	for (i = 0; i < bc->n; i++) {
		unsigned eq = (unsigned)(CRYPTO_memcmp(d, bc->digest[i], 32) == 0);
		size_t mask = (size_t)0 - (size_t)eq;

		match |= eq;
		*entry = (*entry & ~mask) | (i & mask);
	}
	memcpy(key, pair, (size_t)(colon - pair));
	key[colon - pair] = '\0';
	OPENSSL_cleanse(pair, sizeof pair);
	return match ? 1 : 0;
}
