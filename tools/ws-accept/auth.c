/*
 * auth.c - the upgrade's authentication: configuration from the
 * environment and the protocol table of auth.h.  The mechanisms live in
 * cidr.c (allow-list), basic.c (Exotel credentials) and jwt.c (native).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "basic.h"
#include "cidr.h"
#include "jwt.h"
#include "num.h"
#include "setting.h"

#define LEEWAY_DEFAULT 30
#define LEEWAY_MAX 600
/*
 * JWT_MAX_LIFETIME: a token whose exp is further ahead than this is
 * refused (exp 1e300 was accepted: a stolen token would never end).  A
 * day covers any call and the tokens platforms mint per session.
 */
#define LIFETIME_DEFAULT 86400
#define LIFETIME_MAX (366 * 86400)
#define HS256_MIN_SECRET 32	/* RFC 7518 3.2: at least the hash size */

struct auth_config {
	int exotel;			/* SUPPORT_EXOTEL */
	int exotel_settings;		/* allow-list or pairs were given */
	struct cidr_list allow;		/* owned */
	struct cidr_list proxies;	/* TRUSTED_PROXIES, owned */
	struct basic_creds creds;	/* owned */
	struct jwt_keys jwt;		/* owned */
};

static const char WHY_NOAUTH[] =
    "exotel no auth configured: set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH";

/* Each refusal's why and its metrics label (auth_reason). */
static const struct {
	const char *why, *label;
} reasons[] = {
	{ "missing authorization", "missing_authorization" },
	{ "malformed authorization", "malformed_authorization" },
	{ "unsupported authorization scheme", "unsupported_scheme" },
	{ "basic credentials required", "basic_credentials_required" },
	{ "basic bad credentials", "basic_bad_credentials" },
	{ "exotel disabled", "exotel_disabled" },
	{ "ip not allowed", "ip_not_allowed" },
	{ WHY_NOAUTH, "exotel_no_auth_configured" },
	{ "jwt malformed", "jwt_malformed" },
	{ "jwt too long", "jwt_too_long" },
	{ "jwt alg none refused", "jwt_alg_none" },
	{ "jwt alg mismatch", "jwt_alg_mismatch" },
	{ "jwt crit header refused", "jwt_crit" },
	{ "jwt no key configured", "jwt_no_key" },
	{ "jwt bad signature", "jwt_bad_signature" },
	{ "jwt missing exp", "jwt_missing_exp" },
	{ "jwt expired", "jwt_expired" },
	{ "jwt not yet valid", "jwt_not_yet_valid" },
	{ "jwt wrong audience", "jwt_wrong_audience" },
	{ "jwt wrong issuer", "jwt_wrong_issuer" },
	{ "jwt bad claims", "jwt_bad_claims" },
	{ "jwt claims too large", "jwt_claims_too_large" },
	{ "jwt exp too far ahead", "jwt_exp_too_far" },
};

const char *
auth_reason(const char *why)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(why, reasons[i].why) == 0)
			return reasons[i].label;
	return "other";
}

int
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

/* --- configuration ----------------------------------------------------- */

static int
load_jwt(struct jwt_keys *k, char *err, size_t errlen)
{
	const char *v;
	long long leeway = LEEWAY_DEFAULT, lifetime = LIFETIME_DEFAULT;

	if ((v = env_get("JWT_LEEWAY")) != NULL &&
	    parse_long(v, 0, LEEWAY_MAX, &leeway) < 0) {
		snprintf(err, errlen, "JWT_LEEWAY: want seconds from 0 to %d",
		    LEEWAY_MAX);
		return -1;
	}
	k->leeway = (long)leeway;
	if ((v = env_get("JWT_MAX_LIFETIME")) != NULL &&
	    parse_long(v, 0, LIFETIME_MAX, &lifetime) < 0) {
		snprintf(err, errlen, "JWT_MAX_LIFETIME: want seconds from 0 "
		    "to %d", LIFETIME_MAX);
		return -1;
	}
	k->max_lifetime = (long)lifetime;
	if ((v = env_get("JWT_SECRET")) != NULL) {
		k->secretlen = strlen(v);
		if ((k->secret = malloc(k->secretlen)) == NULL) {
			snprintf(err, errlen, "JWT_SECRET: out of memory");
			return -1;
		}
		memcpy(k->secret, v, k->secretlen);
	}
	if ((v = env_get("JWT_PUBLIC_KEY")) != NULL &&
	    jwt_load_public_key(k, v, err, errlen) < 0)
		return -1;
	if (((v = env_get("JWT_AUDIENCE")) != NULL &&
	    (k->audience = strdup(v)) == NULL) ||
	    ((v = env_get("JWT_ISSUER")) != NULL &&
	    (k->issuer = strdup(v)) == NULL)) {
		snprintf(err, errlen, "JWT_AUDIENCE: out of memory");
		return -1;
	}
	return 0;
}

/*
 * An address list from the environment variable name (value v, borrowed):
 * the CIDRs themselves, or "@/path/file" holding them separated by commas
 * or newlines, with '#' comments.  0, or -1 with err naming the variable.
 */
static int
load_list(const char *name, const char *v, struct cidr_list *list,
    int tenants, char *err, size_t errlen)
{
	FILE *f;
	char *text = NULL, *line = NULL, *nt, why[160];
	size_t cap = 0, len = 0, n;
	int r, oom = 0;

	if (v[0] != '@') {
		if (cidr_list_parse(v, list, tenants, why, sizeof why) == 0)
			return 0;
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	if ((f = fopen(v + 1, "re")) == NULL) {
		snprintf(err, errlen, "%s: unable to open %.200s: %s", name,
		    v + 1, strerror(errno));
		return -1;
	}
	/* One comma-separated text: each line without its comment, then ','. */
	while (getline(&line, &cap, f) >= 0) {
		n = strcspn(line, "#\n");
		if ((nt = realloc(text, len + n + 2)) == NULL) {
			oom = 1;
			break;
		}
		text = nt;
		memcpy(text + len, line, n);
		len += n;
		text[len++] = ',';
		text[len] = '\0';
	}
	r = ferror(f) || oom ? -1 : 0;
	free(line);
	fclose(f);
	if (r < 0) {
		snprintf(err, errlen, "%s: unable to read %.200s", name, v + 1);
		free(text);
		return -1;
	}
	r = cidr_list_parse(text ? text : "", list, tenants,
	    why, sizeof why);
	free(text);
	if (r < 0)
		snprintf(err, errlen, "%s: %.200s: %s", name, v + 1, why);
	return r;
}

static int
load_exotel(struct auth_config *cfg, char *err, size_t errlen)
{
	const char *v;

	if ((v = env_get("SUPPORT_EXOTEL")) != NULL &&
	    (cfg->exotel = bool_parse(v)) < 0) {
		snprintf(err, errlen, "SUPPORT_EXOTEL: want true or false, "
		    "got '%.32s'", v);
		return -1;
	}
	if ((v = env_get("EXOTEL_ALLOW_IPS")) != NULL) {
		cfg->exotel_settings = 1;
		if (load_list("EXOTEL_ALLOW_IPS", v, &cfg->allow, 1, err,
		    errlen) < 0)
			return -1;
	}
	if ((v = env_get("EXOTEL_BASIC_AUTH")) != NULL) {
		cfg->exotel_settings = 1;
		if (basic_load(&cfg->creds, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
load_proxies(struct auth_config *cfg, char *err, size_t errlen)
{
	const char *v;

	if ((v = env_get("TRUSTED_PROXIES")) != NULL)
		return load_list("TRUSTED_PROXIES", v, &cfg->proxies, 0,
		    err, errlen);
	return 0;
}

struct auth_config *
auth_config_new(char *err, size_t errlen)
{
	struct auth_config *cfg;

	if ((cfg = calloc(1, sizeof *cfg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (load_exotel(cfg, err, errlen) < 0 ||
	    load_proxies(cfg, err, errlen) < 0 ||
	    load_jwt(&cfg->jwt, err, errlen) < 0) {
		auth_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
auth_config_free(struct auth_config *cfg)
{
	if (cfg == NULL)
		return;
	cidr_list_free(&cfg->allow);
	cidr_list_free(&cfg->proxies);
	basic_free(&cfg->creds);
	jwt_keys_free(&cfg->jwt);
	free(cfg);
}

void
auth_config_describe(const struct auth_config *cfg, char *out, size_t len)
{
	const struct jwt_keys *k = &cfg->jwt;
	char algs[32];

	snprintf(algs, sizeof algs, "%s%s%s", k->secret ? "HS256" : "",
	    k->secret && k->pkey ? "," : "", k->pkey ? k->pkey_alg : "");
	snprintf(out, len, "exotel=%s allow_ips=%zu basic_pairs=%zu jwt=%s "
	    "leeway=%ld audience=%s issuer=%s trusted_proxies=%zu",
	    cfg->exotel ? "on" : "off", cfg->allow.n, cfg->creds.n,
	    algs[0] ? algs : "off", k->leeway, k->audience ? "checked" : "any",
	    k->issuer ? "checked" : "any", cfg->proxies.n);
}

/* Append "; " (when out is not empty) and text to out. */
static void
append(char *out, size_t len, const char *text)
{
	size_t n = strlen(out);

	snprintf(out + n, len - n, "%s%s", n ? "; " : "", text);
}

int
auth_config_warning(const struct auth_config *cfg, char *out, size_t len)
{
	if (len == 0)
		return 0;
	out[0] = '\0';
	if (cfg->exotel && cfg->allow.n == 0 && cfg->creds.n == 0)
		append(out, len, "SUPPORT_EXOTEL is on but neither "
		    "EXOTEL_ALLOW_IPS nor EXOTEL_BASIC_AUTH is set: every "
		    "Exotel connection will be refused");
	if (!cfg->exotel && cfg->exotel_settings)
		append(out, len, "EXOTEL_ALLOW_IPS/EXOTEL_BASIC_AUTH "
		    "ignored: SUPPORT_EXOTEL is off");
	if (cfg->jwt.secret && cfg->jwt.secretlen < HS256_MIN_SECRET)
		append(out, len, "JWT_SECRET is shorter than 32 bytes: weak "
		    "for HS256");
	if (!cfg->jwt.secret && !cfg->jwt.pkey)
		append(out, len, "neither JWT_SECRET nor JWT_PUBLIC_KEY is "
		    "set: native (Bearer) clients will be refused");
	else if (!cfg->jwt.audience)
		append(out, len, "JWT_AUDIENCE is not set: a token minted for "
		    "any other service with the same key is accepted");
	return out[0] != '\0';
}

const char *
auth_challenge(const struct auth_config *cfg)
{
	if (cfg->exotel && cfg->creds.n > 0)
		return "Bearer realm=\"ingest\", Basic realm=\"exotel\"";
	return "Bearer realm=\"ingest\"";
}

/* --- behind a balancer ------------------------------------------------- */

/* Copy sa (borrowed) into *out, as long as its family says. */
static void
copy_addr(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	size_t n = sizeof *out;

	memset(out, 0, sizeof *out);
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		n = sizeof(struct sockaddr_in);
	else if (sa->sa_family == AF_INET6)
		n = sizeof(struct sockaddr_in6);
	else
		n = sizeof(sa_family_t);
	memcpy(out, sa, n);
}

int
auth_client_address(const struct auth_config *cfg,
    const struct sockaddr *peer, const char *xff,
    struct sockaddr_storage *out)
{
	struct sockaddr_storage a;
	const char *start, *end;

	copy_addr(peer, out);
	if (cfg->proxies.n == 0 || xff == NULL ||
	    strspn(xff, " \t") == strlen(xff) ||
	    cidr_list_match(&cfg->proxies, peer) < 0)
		return 0;
	/* Each proxy appends the address it got the request from. */
	for (end = xff + strlen(xff);; end = start - 1) {
		for (start = end; start > xff && start[-1] != ','; start--)
			;
		if (addr_parse(start, (size_t)(end - start), &a) < 0)
			return -1;
		*out = a;
		if (cidr_list_match(&cfg->proxies, (struct sockaddr *)&a) < 0 ||
		    start == xff)
			return 1;
	}
}

/* --- the check --------------------------------------------------------- */

static int
refuse(int status, const char *text, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s", text);
	return status;
}

static void
result(struct auth_result *res, enum protocol proto, const char *method,
    const char *principal)
{
	memset(res, 0, sizeof *res);
	res->protocol = proto;
	snprintf(res->method, sizeof res->method, "%s", method);
	snprintf(res->principal, sizeof res->principal, "%s", principal);
}

/* No usable credentials: the allow-list decides (Exotel only). */
static int
by_address(const struct auth_config *cfg, const struct sockaddr *peer,
    struct auth_result *res, char *why, size_t whylen)
{
	char entry[64];
	long i;

	if ((i = cidr_list_match(&cfg->allow, peer)) >= 0) {
		cidr_format(&cfg->allow.v[i], entry, sizeof entry);
		result(res, PROTOCOL_EXOTEL, "ip", entry);
		/* An entry bound to a tenant speaks for that tenant only. */
		snprintf(res->tenant, sizeof res->tenant, "%s",
		    cfg->allow.tenant[i]);
		return 0;
	}
	if (cfg->creds.n > 0)
		return refuse(401, "basic credentials required", why, whylen);
	if (cfg->allow.n > 0)
		return refuse(403, "ip not allowed", why, whylen);
	return refuse(403, WHY_NOAUTH, why, whylen);
}

static int
by_basic(const struct auth_config *cfg, const char *cred, size_t n,
    const struct sockaddr *peer, struct auth_result *res, char *why,
    size_t whylen)
{
	char key[BASIC_KEY_MAX + 1];
	size_t entry = 0;
	int r;

	if (!cfg->exotel)
		return refuse(403, "exotel disabled", why, whylen);
	if (cfg->creds.n == 0) {
		/* Still refuse garbage: "Basic !!!" is not a client to trust. */
		if (basic_check(&cfg->creds, cred, n, key, &entry) < 0)
			return refuse(401, "malformed authorization", why,
			    whylen);
		return by_address(cfg, peer, res, why, whylen);
	}
	if ((r = basic_check(&cfg->creds, cred, n, key, &entry)) < 0)
		return refuse(401, "malformed authorization", why, whylen);
	if (r == 0)
		return refuse(401, "basic bad credentials", why, whylen);
	result(res, PROTOCOL_EXOTEL, "basic", key);
	snprintf(res->tenant, sizeof res->tenant, "%s",
	    cfg->creds.tenant[entry]);
	return 0;
}

static int
by_bearer(const struct auth_config *cfg, const char *token, size_t n,
    time_t now, struct auth_result *res, char *why, size_t whylen)
{
	struct jwt_claims c;
	enum jwt_status st;

	while (n > 0 && (token[n - 1] == ' ' || token[n - 1] == '\t'))
		n--;
	if (n == 0)
		return refuse(401, "malformed authorization", why, whylen);
	if ((st = jwt_verify(&cfg->jwt, token, n, now, &c)) != JWT_OK)
		return refuse(401, jwt_strerror(st), why, whylen);
	_Static_assert(sizeof res->claims == sizeof c.json &&
	    sizeof res->tenant == sizeof c.tenant, "auth_result vs jwt_claims");
	result(res, PROTOCOL_NATIVE, "jwt", c.sub);
	memcpy(res->tenant, c.tenant, sizeof res->tenant);
	memcpy(res->claims, c.json, sizeof res->claims);
	return 0;
}

int
auth_check_at(const struct auth_config *cfg, const char *authorization,
    const struct sockaddr *peer, time_t now, struct auth_result *res,
    char *why, size_t whylen)
{
	const char *p = authorization, *scheme;
	size_t slen;

	while (p && (*p == ' ' || *p == '\t'))
		p++;
	if (p == NULL || *p == '\0') {
		if (!cfg->exotel)
			return refuse(401, "missing authorization", why,
			    whylen);
		return by_address(cfg, peer, res, why, whylen);
	}
	/* auth-scheme 1*SP token68 (RFC 7235); the scheme is case-blind. */
	scheme = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	slen = (size_t)(p - scheme);
	while (*p == ' ' || *p == '\t')
		p++;
	if (slen == 5 && strncasecmp(scheme, "Basic", 5) == 0)
		return by_basic(cfg, p, strlen(p), peer, res, why, whylen);
	if (slen == 6 && strncasecmp(scheme, "Bearer", 6) == 0)
		return by_bearer(cfg, p, strlen(p), now, res, why, whylen);
	return refuse(401, "unsupported authorization scheme", why, whylen);
}

int
auth_check(const struct auth_config *cfg, const char *authorization,
    const struct sockaddr *peer, struct auth_result *res,
    char *why, size_t whylen)
{
	return auth_check_at(cfg, authorization, peer, time(NULL), res, why,
	    whylen);
}
