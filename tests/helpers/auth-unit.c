/*
 * auth-unit - unit cases for ws-accept's authentication (auth.c,
 * basic.c, cidr.c, jwt.c): every row of the protocol table and every
 * refusal.  Prints PASS/FAIL lines like every test file; exits 1 if a
 * case failed.
 *
 *   auth-unit keydir
 *	run the cases; keydir holds PEM keys made by tests/auth.sh with
 *	openssl genpkey: rsa.pem rsa.pub rsa2.pem ec.pem ec.pub ec2.pem
 *	rsa1024.pub ec384.pub ed25519.pub rsa.crt
 *   auth-unit check address [authorization]
 *	decide one upgrade with the configuration from the environment and
 *	print "0 protocol method principal tenant claims" or "status why"
 *	(for the shell tests' tokens minted by the openssl command).
 *   auth-unit bench keydir
 *	for bench/auth.bench: per method, nanoseconds per auth_check and
 *	per bare OpenSSL operation on the same bytes (the peer), as
 *	"method ours_ns peer_ns iterations".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include <openssl/pem.h>

#include "auth.h"
#include "basic.h"
#include "cidr.h"
#include "jwt.h"
#include "jsonvalid.h"
#include "jwt-sign.h"

#define NOW 1700000000LL	/* the tests' fixed clock */

static int failed;
static const char *keydir;

static void
check(const char *name, int ok, const char *detail)
{
	if (ok)
		printf("PASS: auth %s\n", name);
	else {
		printf("FAIL: auth %s: %s\n", name, detail ? detail : "");
		failed = 1;
	}
}

/* --- addresses --------------------------------------------------------- */

static struct sockaddr_storage peer_ss;

/* A sockaddr for text ("10.1.2.3", "2001:db8::1", "unix"); static. */
static const struct sockaddr *
peer(const char *text)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&peer_ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peer_ss;

	memset(&peer_ss, 0, sizeof peer_ss);
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		peer_ss.ss_family = AF_UNIX;
	return (const struct sockaddr *)&peer_ss;
}

static int
parses_as(const char *in, const char *want)
{
	struct cidr c;
	char out[64];

	if (cidr_parse(in, strlen(in), &c) < 0)
		return want == NULL;
	cidr_format(&c, out, sizeof out);
	return want && strcmp(out, want) == 0;
}

static int
list_match(const char *list, const char *addr)
{
	struct cidr_list l;
	char err[128];
	long i;

	if (cidr_list_parse(list, &l, 1, err, sizeof err) < 0)
		return -2;
	i = cidr_list_match(&l, peer(addr));
	cidr_list_free(&l);
	return (int)i;
}

static void
cidr_cases(void)
{
	struct cidr_list l;
	char err[128];

	check("cidr v4 network", parses_as("10.0.0.0/8", "10.0.0.0/8"), NULL);
	check("cidr bare v4 is /32", parses_as(" 203.0.113.7 ",
	    "203.0.113.7/32"), NULL);
	check("cidr bare v6 is /128", parses_as("2001:db8::1",
	    "2001:db8::1/128"), NULL);
	check("cidr v6 network", parses_as("2001:db8::/32", "2001:db8::/32"),
	    NULL);
	check("cidr mapped entry is v4", parses_as("::ffff:192.0.2.0/120",
	    "192.0.2.0/24"), NULL);
	check("cidr /0", parses_as("0.0.0.0/0", "0.0.0.0/0"), NULL);
	check("cidr refuses host bits", parses_as("10.1.2.3/8", NULL), NULL);
	check("cidr refuses bad octet", parses_as("10.0.0.256", NULL), NULL);
	check("cidr refuses /33", parses_as("10.0.0.0/33", NULL), NULL);
	check("cidr refuses /129", parses_as("::/129", NULL), NULL);
	check("cidr refuses signed prefix", parses_as("10.0.0.0/+8", NULL) &&
	    parses_as("10.0.0.0/-1", NULL), NULL);
	check("cidr refuses empty prefix", parses_as("10.0.0.0/", NULL),
	    NULL);
	check("cidr refuses name", parses_as("localhost", NULL), NULL);
	check("cidr refuses short v4", parses_as("10.1", NULL), NULL);

	check("cidr v4 peer inside", list_match("10.0.0.0/8", "10.200.3.4") ==
	    0, NULL);
	check("cidr v4 peer outside", list_match("10.0.0.0/8", "11.0.0.1") ==
	    -1, NULL);
	check("cidr odd prefix boundary", list_match("192.0.2.64/26",
	    "192.0.2.127") == 0 && list_match("192.0.2.64/26",
	    "192.0.2.128") == -1 && list_match("192.0.2.64/26",
	    "192.0.2.63") == -1, NULL);
	check("cidr v6 peer inside", list_match("10.0.0.0/8, 2001:db8::/32",
	    "2001:db8:1::5") == 1, NULL);
	check("cidr v6 peer outside", list_match("2001:db8::/32",
	    "2001:db9::1") == -1, NULL);
	check("cidr mapped peer matches v4 entry", list_match("192.0.2.7",
	    "::ffff:192.0.2.7") == 0, NULL);
	check("cidr mapped peer outside v4 entry", list_match("192.0.2.7",
	    "::ffff:192.0.2.8") == -1, NULL);
	check("cidr v4 peer matches mapped entry",
	    list_match("::ffff:192.0.2.7", "192.0.2.7") == 0, NULL);
	check("cidr v4 peer never matches v6 entry", list_match("::/0",
	    "192.0.2.7") == -1, NULL);
	check("cidr unix peer never matches", list_match("0.0.0.0/0, ::/0",
	    "unix") == -1, NULL);
	check("cidr list skips empty items", list_match(" ,10.0.0.1,, ",
	    "10.0.0.1") == 0, NULL);
	check("cidr list names the bad entry",
	    cidr_list_parse("10.0.0.0/8, 10.0.0.300", &l, 1, err,
	    sizeof err) < 0 && strcmp(err, "bad entry '10.0.0.300'") == 0, err);
}

/* --- the JSON syntax check before libjq (lib/jsonvalid.h) --------------- */

static void
json_valid_cases(void)
{
	static const char *const good[] = {
		"{}", " {\"alg\":\"HS256\",\"typ\":\"JWT\"} ", "[1,-2.5e+3,true,false,null]",
		"{\"a\":{\"b\":[{}]}}", "\"\\u00e9\\n\"", "0", NULL
	};
	static const char *const bad[] = {
		"{\"alg\"x\"}", "{\"a\":}", "{\"a\" 1}", "[1,]", "{,}", "01", "1.", "-",
		"\"\\x\"", "{\"a\":1}}", "tru", "[\"\x01\"]", "", "{\"a\":1,}", NULL
	};
	char deep[300];
	int i;

	for (i = 0; good[i]; i++)
		check("json_valid accepts", json_valid(good[i], strlen(good[i]),
		    64) == 1, good[i]);
	for (i = 0; bad[i]; i++)
		check("json_valid refuses", json_valid(bad[i], strlen(bad[i]),
		    64) == 0, bad[i]);
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	check("json_valid refuses nesting past its bound",
	    json_valid(deep, 200, 64) == 0 && json_valid(deep, 200, 128) == 1,
	    "100 deep");
}

/* --- configuration ----------------------------------------------------- */

static const char *const vars[] = {
	"SUPPORT_EXOTEL", "EXOTEL_ALLOW_IPS", "EXOTEL_BASIC_AUTH",
	"JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_LEEWAY", "JWT_AUDIENCE",
	"JWT_ISSUER", "TRUSTED_PROXIES", "JWT_MAX_LIFETIME", NULL
};

/* Set the environment from "NAME=value" strings, everything else unset. */
static void
env(const char *const *set)
{
	const char *const *v;
	const char *eq;
	char name[64];

	for (v = vars; *v; v++)
		unsetenv(*v);
	for (; set && *set; set++) {
		eq = strchr(*set, '=');
		snprintf(name, sizeof name, "%.*s", (int)(eq - *set), *set);
		setenv(name, eq + 1, 1);
	}
}

static char cfgerr[512];

static struct auth_config *
config(const char *const *set)
{
	env(set);
	cfgerr[0] = '\0';
	return auth_config_new(cfgerr, sizeof cfgerr);
}

/* Does the configuration fail with exactly want? */
static void
config_fails(const char *name, const char *const *set, const char *want)
{
	struct auth_config *c = config(set);
	char detail[700];

	snprintf(detail, sizeof detail, "got [%s]", c ? "(accepted)" : cfgerr);
	check(name, c == NULL && strcmp(cfgerr, want) == 0, detail);
	auth_config_free(c);
}

static char *
keypath(const char *name)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof path[i], "%s/%s", keydir, name);
	return path[i];
}

static char *
file_text(const char *name)
{
	FILE *f = fopen(keypath(name), "r");
	static char buf[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
config_cases(void)
{
	struct auth_config *c;
	char line[512], var[600], *pem, *esc, *o;
	const char *p;
	FILE *f;

	config_fails("config bad SUPPORT_EXOTEL",
	    (const char *[]){ "SUPPORT_EXOTEL=maybe", NULL },
	    "SUPPORT_EXOTEL: want true or false, got 'maybe'");
	c = config((const char *[]){ "SUPPORT_EXOTEL=Yes", NULL });
	auth_config_describe(c, line, sizeof line);
	check("config SUPPORT_EXOTEL=Yes is on", c && strncmp(line,
	    "exotel=on ", 10) == 0, line);
	auth_config_free(c);
	c = config(NULL);
	auth_config_describe(c, line, sizeof line);
	check("config Exotel off by default", c && strcmp(line, "exotel=off "
	    "allow_ips=0 basic_pairs=0 jwt=off leeway=30 audience=any "
	    "issuer=any trusted_proxies=0") == 0, line);
	auth_config_free(c);
	config_fails("config bad EXOTEL_ALLOW_IPS", (const char *[]){
	    "EXOTEL_ALLOW_IPS=10.0.0.0/8,10.0.0.300", NULL },
	    "EXOTEL_ALLOW_IPS: bad entry '10.0.0.300'");
	config_fails("config bad EXOTEL_BASIC_AUTH names entry, not secret",
	    (const char *[]){ "EXOTEL_BASIC_AUTH=k1:t1,s3cretnocolon", NULL },
	    "EXOTEL_BASIC_AUTH: entry 2: want key:token");
	config_fails("config EXOTEL_BASIC_AUTH empty key",
	    (const char *[]){ "EXOTEL_BASIC_AUTH=:tok", NULL },
	    "EXOTEL_BASIC_AUTH: entry 1: want key:token");
	config_fails("config EXOTEL_BASIC_AUTH empty token",
	    (const char *[]){ "EXOTEL_BASIC_AUTH=key:", NULL },
	    "EXOTEL_BASIC_AUTH: entry 1: want key:token");
	config_fails("config EXOTEL_BASIC_AUTH no pair",
	    (const char *[]){ "EXOTEL_BASIC_AUTH= , ", NULL },
	    "EXOTEL_BASIC_AUTH: no key:token pair");
	snprintf(var, sizeof var, "EXOTEL_BASIC_AUTH=@%s", keypath("nofile"));
	snprintf(line, sizeof line, "EXOTEL_BASIC_AUTH: unable to open %s: "
	    "No such file or directory", keypath("nofile"));
	config_fails("config EXOTEL_BASIC_AUTH missing file",
	    (const char *[]){ var, NULL }, line);
	f = fopen(keypath("creds-bad"), "w");
	fputs("# comment\nk1:t1\n\nnot a pair\n", f);
	fclose(f);
	snprintf(var, sizeof var, "EXOTEL_BASIC_AUTH=@%s",
	    keypath("creds-bad"));
	snprintf(line, sizeof line, "EXOTEL_BASIC_AUTH: %s line 4: want "
	    "key:token", keypath("creds-bad"));
	config_fails("config EXOTEL_BASIC_AUTH file names the line",
	    (const char *[]){ var, NULL }, line);
	config_fails("config bad JWT_LEEWAY", (const char *[]){
	    "JWT_LEEWAY=30s", NULL }, "JWT_LEEWAY: want seconds from 0 to 600");
	config_fails("config JWT_LEEWAY too large", (const char *[]){
	    "JWT_LEEWAY=601", NULL }, "JWT_LEEWAY: want seconds from 0 to 600");
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("nofile"));
	snprintf(line, sizeof line, "JWT_PUBLIC_KEY: unable to open %s: "
	    "No such file or directory", keypath("nofile"));
	config_fails("config JWT_PUBLIC_KEY missing file",
	    (const char *[]){ var, NULL }, line);
	config_fails("config JWT_PUBLIC_KEY garbage PEM", (const char *[]){
	    "JWT_PUBLIC_KEY=-----BEGIN PUBLIC KEY-----\nAAAA\n"
	    "-----END PUBLIC KEY-----\n", NULL },
	    "JWT_PUBLIC_KEY: no PEM public key or certificate found");
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("rsa1024.pub"));
	config_fails("config JWT_PUBLIC_KEY RSA 1024 refused",
	    (const char *[]){ var, NULL },
	    "JWT_PUBLIC_KEY: RSA key of 1024 bits, want at least 2048");
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("ec384.pub"));
	config_fails("config JWT_PUBLIC_KEY P-384 refused",
	    (const char *[]){ var, NULL },
	    "JWT_PUBLIC_KEY: EC key not on P-256 (ES256 only)");
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("ed25519.pub"));
	config_fails("config JWT_PUBLIC_KEY Ed25519 refused",
	    (const char *[]){ var, NULL }, "JWT_PUBLIC_KEY: unsupported key "
	    "type ED25519 (want RSA or EC P-256)");

	/* PEM text inline, and with "\n" escaped as in a one-line .env. */
	pem = file_text("ec.pub");
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", pem ? pem : "");
	c = config((const char *[]){ var, "JWT_SECRET=0123456789abcdef"
	    "0123456789abcdef", NULL });
	auth_config_describe(c, line, sizeof line);
	check("config PEM text, secret and key together", c &&
	    strstr(line, " jwt=HS256,ES256 ") != NULL, c ? line : cfgerr);
	check("config describe shows no secret", c &&
	    strstr(line, "0123456789") == NULL, line);
	auth_config_free(c);
	esc = malloc(2 * strlen(pem ? pem : "") + 32);
	strcpy(esc, "JWT_PUBLIC_KEY=");
	for (o = esc + strlen(esc), p = pem ? pem : ""; *p; p++)
		if (*p == '\n')
			*o++ = '\\', *o++ = 'n';
		else
			*o++ = *p;
	*o = '\0';
	c = config((const char *[]){ esc, NULL });
	auth_config_describe(c, line, sizeof line);
	check("config PEM with escaped newlines", c &&
	    strstr(line, " jwt=ES256 ") != NULL, c ? line : cfgerr);
	auth_config_free(c);
	free(esc);
	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("rsa.crt"));
	c = config((const char *[]){ var, NULL });
	auth_config_describe(c, line, sizeof line);
	check("config certificate file gives RS256", c &&
	    strstr(line, " jwt=RS256 ") != NULL, c ? line : cfgerr);
	auth_config_free(c);

	/* Warnings an operator should see at start-up. */
	c = config((const char *[]){ "SUPPORT_EXOTEL=true",
	    "JWT_SECRET=0123456789abcdef0123456789abcdef", NULL });
	check("config warns: Exotel on, nothing admits it", c &&
	    auth_config_warning(c, line, sizeof line) &&
	    strstr(line, "every Exotel connection will be refused"), line);
	auth_config_free(c);
	c = config((const char *[]){ "EXOTEL_ALLOW_IPS=10.0.0.0/8",
	    "JWT_SECRET=0123456789abcdef0123456789abcdef", NULL });
	check("config warns: Exotel settings ignored", c &&
	    auth_config_warning(c, line, sizeof line) &&
	    strstr(line, "ignored: SUPPORT_EXOTEL is off"), line);
	auth_config_free(c);
	c = config((const char *[]){ "JWT_SECRET=short", NULL });
	check("config warns: short HS256 secret", c &&
	    auth_config_warning(c, line, sizeof line) &&
	    strstr(line, "shorter than 32 bytes") && !strstr(line, "short,"),
	    line);
	auth_config_free(c);
	c = config((const char *[]){ "SUPPORT_EXOTEL=true", NULL });
	check("config warns about everything at once", c &&
	    auth_config_warning(c, line, sizeof line) && strcmp(line,
	    "SUPPORT_EXOTEL is on but neither EXOTEL_ALLOW_IPS nor "
	    "EXOTEL_BASIC_AUTH is set: every Exotel connection will be "
	    "refused; neither JWT_SECRET nor JWT_PUBLIC_KEY is set: native "
	    "(Bearer) clients will be refused") == 0, line);
	auth_config_free(c);
	c = config((const char *[]){ "JWT_SECRET=0123456789abcdef"
	    "0123456789abcdef", NULL });
	check("config warns when no JWT audience is configured", c &&
	    auth_config_warning(c, line, sizeof line) && strstr(line,
	    "JWT_AUDIENCE is not set") != NULL, line);
	auth_config_free(c);
	c = config((const char *[]){ "JWT_SECRET=0123456789abcdef"
	    "0123456789abcdef", "JWT_AUDIENCE=ingest", NULL });
	check("config no warning when sound", c &&
	    auth_config_warning(c, line, sizeof line) == 0, line);
	auth_config_free(c);
	c = config((const char *[]){ "JWT_SECRET=0123456789abcdef"
	    "0123456789abcdef", "JWT_MAX_LIFETIME=-1", NULL });
	check("config: bad JWT_MAX_LIFETIME refused", c == NULL, "");
	auth_config_free(c);
}

/* --- the protocol table ------------------------------------------------ */

static struct auth_result res;
static char why[256];

/* Decide authz from addr at NOW; "0 proto method principal" or "401 why". */
static const char *
decide(const struct auth_config *c, const char *authz, const char *addr)
{
	static char out[512];
	int st;

	memset(&res, 0, sizeof res);
	why[0] = '\0';
	st = auth_check_at(c, authz, peer(addr), (time_t)NOW, &res, why,
	    sizeof why);
	if (st == 0)
		snprintf(out, sizeof out, "0 %s %s %s",
		    protocol_name(res.protocol),
		    res.method, res.principal);
	else
		snprintf(out, sizeof out, "%d %s", st, why);
	return out;
}

static void
expect(const char *name, const char *got, const char *want)
{
	char detail[1024];

	snprintf(detail, sizeof detail, "expected [%s] got [%s]", want, got);
	check(name, strcmp(got, want) == 0, detail);
}

/* "Basic " + base64(pair), static. */
static const char *
basic(const char *pair)
{
	static char out[2048];

	strcpy(out, "Basic ");
	base64_encode(pair, strlen(pair), out + 6);
	return out;
}

static void
exotel_cases(void)
{
	struct auth_config *c;
	char var[600], line[700];
	FILE *f;

	c = config(NULL);
	expect("no header, Exotel off", decide(c, NULL, "10.0.0.1"),
	    "401 missing authorization");
	expect("empty header, Exotel off", decide(c, "  ", "10.0.0.1"),
	    "401 missing authorization");
	expect("Basic, Exotel off", decide(c, basic("k:t"), "10.0.0.1"),
	    "403 exotel disabled");
	auth_config_free(c);

	c = config((const char *[]){ "SUPPORT_EXOTEL=true", NULL });
	expect("Exotel on, nothing configured: secure default",
	    decide(c, NULL, "10.0.0.1"), "403 exotel no auth configured: "
	    "set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH");
	auth_config_free(c);

	c = config((const char *[]){ "SUPPORT_EXOTEL=true",
	    "EXOTEL_ALLOW_IPS=10.0.0.0/8, 2001:db8::/32", NULL });
	expect("allowed v4 peer", decide(c, NULL, "10.9.8.7"),
	    "0 exotel ip 10.0.0.0/8");
	check("allowed peer has no tenant nor claims",
	    res.tenant[0] == '\0' && res.claims[0] == '\0', NULL);
	expect("allowed v6 peer", decide(c, NULL, "2001:db8::42"),
	    "0 exotel ip 2001:db8::/32");
	expect("allowed mapped peer", decide(c, NULL, "::ffff:10.1.1.1"),
	    "0 exotel ip 10.0.0.0/8");
	expect("refused v4 peer", decide(c, NULL, "192.0.2.1"),
	    "403 ip not allowed");
	expect("refused v6 peer", decide(c, NULL, "2001:db9::1"),
	    "403 ip not allowed");
	expect("refused mapped peer", decide(c, NULL, "::ffff:192.0.2.1"),
	    "403 ip not allowed");
	expect("Basic without pairs judged by address",
	    decide(c, basic("k:t"), "10.0.0.1"), "0 exotel ip 10.0.0.0/8");
	expect("Basic without pairs, refused address",
	    decide(c, basic("k:t"), "192.0.2.1"), "403 ip not allowed");
	expect("Basic garbage without pairs", decide(c, "Basic !!!",
	    "10.0.0.1"), "401 malformed authorization");
	auth_config_free(c);

	c = config((const char *[]){ "SUPPORT_EXOTEL=1",
	    "EXOTEL_BASIC_AUTH=key1:tok1, key2:tok:with:colons:, "
	    "key3:tok3:tenant-3", NULL });
	expect("Basic good", decide(c, basic("key1:tok1"), "192.0.2.1"),
	    "0 exotel basic key1");
	expect("Basic good, second pair, colons in token",
	    decide(c, basic("key2:tok:with:colons"), "192.0.2.1"),
	    "0 exotel basic key2");
	expect("Basic bound to a tenant: the pair without it",
	    decide(c, basic("key3:tok3"), "192.0.2.1"), "0 exotel basic key3");
	expect("Basic bound to a tenant: the tenant is no part of the token",
	    decide(c, basic("key3:tok3:tenant-3"), "192.0.2.1"),
	    "401 basic bad credentials");
	expect("Basic scheme is case-blind", decide(c, "bASIC   a2V5MTp0b2sx",
	    "192.0.2.1"), "0 exotel basic key1");
	expect("Basic bad token", decide(c, basic("key1:tok2"), "192.0.2.1"),
	    "401 basic bad credentials");
	expect("Basic token of another key", decide(c, basic("key1:tok:with:"
	    "colons"), "192.0.2.1"), "401 basic bad credentials");
	expect("Basic prefix of a token", decide(c, basic("key1:tok"),
	    "192.0.2.1"), "401 basic bad credentials");
	expect("Basic unknown key", decide(c, basic("key3:tok1"),
	    "192.0.2.1"), "401 basic bad credentials");
	expect("Basic not base64", decide(c, "Basic !!!", "192.0.2.1"),
	    "401 malformed authorization");
	expect("Basic with nothing", decide(c, "Basic", "192.0.2.1"),
	    "401 malformed authorization");
	expect("Basic without colon", decide(c, basic("key1tok1"),
	    "192.0.2.1"), "401 malformed authorization");
	expect("Basic with control character", decide(c, basic("key1\n:tok1"),
	    "192.0.2.1"), "401 malformed authorization");
	expect("no header, pairs configured", decide(c, NULL, "192.0.2.1"),
	    "401 basic credentials required");
	expect("unknown scheme", decide(c, "Digest username=\"x\"",
	    "192.0.2.1"), "401 unsupported authorization scheme");
	check("challenge names Basic when pairs configured",
	    strcmp(auth_challenge(c), "Bearer realm=\"ingest\", "
	    "Basic realm=\"exotel\"") == 0, auth_challenge(c));
	auth_config_free(c);

	f = fopen(keypath("allow"), "w");
	fputs("# Exotel, Mumbai\n10.0.0.0/8, 192.0.2.7  # one host\r\n\n"
	    "2001:db8::/32\n", f);
	fclose(f);
	snprintf(var, sizeof var, "EXOTEL_ALLOW_IPS=@%s", keypath("allow"));
	c = config((const char *[]){ "SUPPORT_EXOTEL=true", var, NULL });
	expect("allow-list from a file, comments and CRLF", decide(c, NULL,
	    "192.0.2.7"), "0 exotel ip 192.0.2.7/32");
	expect("allow-list from a file, last line", decide(c, NULL,
	    "2001:db8::9"), "0 exotel ip 2001:db8::/32");
	expect("allow-list from a file, commented text ignored",
	    decide(c, NULL, "192.0.2.8"), "403 ip not allowed");
	auth_config_free(c);
	f = fopen(keypath("allow-bad"), "w");
	fputs("10.0.0.0/8\n10.0.0.1/8\n", f);
	fclose(f);
	snprintf(var, sizeof var, "EXOTEL_ALLOW_IPS=@%s", keypath("allow-bad"));
	snprintf(line, sizeof line, "EXOTEL_ALLOW_IPS: %s: bad entry "
	    "'10.0.0.1/8'", keypath("allow-bad"));
	config_fails("allow-list file with a bad entry",
	    (const char *[]){ var, NULL }, line);
	snprintf(var, sizeof var, "TRUSTED_PROXIES=@%s", keypath("nofile"));
	snprintf(line, sizeof line, "TRUSTED_PROXIES: unable to open %s: "
	    "No such file or directory", keypath("nofile"));
	config_fails("proxy list file missing", (const char *[]){ var, NULL },
	    line);

	f = fopen(keypath("creds"), "w");
	fputs("# Exotel accounts\r\n\r\n  acme:s3cret  \r\n#x:y\nbeta:b\n", f);
	fclose(f);
	snprintf(var, sizeof var, "EXOTEL_BASIC_AUTH=@%s", keypath("creds"));
	c = config((const char *[]){ "SUPPORT_EXOTEL=on", var,
	    "EXOTEL_ALLOW_IPS=10.0.0.0/8", NULL });
	expect("Basic from file, CRLF and comments",
	    decide(c, basic("acme:s3cret"), "192.0.2.1"),
	    "0 exotel basic acme");
	expect("Basic from file, last line", decide(c, basic("beta:b"),
	    "192.0.2.1"), "0 exotel basic beta");
	expect("Basic from file, commented pair refused",
	    decide(c, basic("x:y"), "192.0.2.1"), "401 basic bad credentials");
	expect("allow-list and pairs: address suffices",
	    decide(c, NULL, "10.0.0.1"), "0 exotel ip 10.0.0.0/8");
	expect("allow-list and pairs: bad pair from allowed address",
	    decide(c, basic("acme:x"), "10.0.0.1"),
	    "401 basic bad credentials");
	auth_config_free(c);
}

/* --- behind a balancer ------------------------------------------------ */

/* The client auth_client_address finds: "r address" or "r" when -1. */
static const char *
client(const struct auth_config *c, const char *addr, const char *xff)
{
	static char out[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage ss;
	char a[INET6_ADDRSTRLEN] = "?";
	int r = auth_client_address(c, peer(addr), xff, &ss);

	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a,
		    sizeof a);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a,
		    sizeof a);
	if (r < 0)
		snprintf(out, sizeof out, "%d", r);
	else
		snprintf(out, sizeof out, "%d %s", r, a);
	return out;
}

static void
proxy_cases(void)
{
	struct auth_config *c;
	struct sockaddr_storage ss;

	config_fails("config bad TRUSTED_PROXIES", (const char *[]){
	    "TRUSTED_PROXIES=10.0.0.0/8,lb.internal", NULL },
	    "TRUSTED_PROXIES: bad entry 'lb.internal'");
	c = config(NULL);
	expect("xff ignored without TRUSTED_PROXIES",
	    client(c, "10.0.0.1", "203.0.113.9"), "0 10.0.0.1");
	auth_config_free(c);
	c = config((const char *[]){ "SUPPORT_EXOTEL=true",
	    "TRUSTED_PROXIES=10.0.0.0/8, fd00::/8",
	    "EXOTEL_ALLOW_IPS=203.0.113.0/24", NULL });
	expect("xff from a trusted proxy", client(c, "10.0.0.1",
	    "203.0.113.9"), "1 203.0.113.9");
	expect("xff from a trusted mapped peer", client(c,
	    "::ffff:10.0.0.1", "203.0.113.9"), "1 203.0.113.9");
	expect("xff from an untrusted peer ignored", client(c, "192.0.2.1",
	    "203.0.113.9"), "0 192.0.2.1");
	expect("xff without the header", client(c, "10.0.0.1", NULL),
	    "0 10.0.0.1");
	expect("xff blank header", client(c, "10.0.0.1", " "), "0 10.0.0.1");
	expect("xff right-most untrusted, spoofed left part ignored",
	    client(c, "10.0.0.1", "203.0.113.7, 198.51.100.7, 10.0.0.2"),
	    "1 198.51.100.7");
	expect("xff all trusted: the left-most", client(c, "10.0.0.1",
	    "10.0.0.3,10.0.0.2"), "1 10.0.0.3");
	expect("xff v4 with port", client(c, "10.0.0.1", "203.0.113.9:5555"),
	    "1 203.0.113.9");
	expect("xff bracketed v6 with port", client(c, "fd00::1",
	    "[2001:db8::5]:443"), "1 2001:db8::5");
	expect("xff bare v6", client(c, "fd00::1", "2001:db8::5"),
	    "1 2001:db8::5");
	expect("xff garbage refused", client(c, "10.0.0.1", "unknown"), "-1");
	expect("xff empty item refused", client(c, "10.0.0.1",
	    "203.0.113.9,,10.0.0.2"), "-1");
	expect("xff bad port refused", client(c, "10.0.0.1",
	    "203.0.113.9:99999"), "-1");
	expect("xff bracketed v4 refused", client(c, "10.0.0.1",
	    "[203.0.113.9]"), "-1");
	auth_client_address(c, peer("10.0.0.1"), "203.0.113.9", &ss);
	expect("xff client judged by the allow-list", decide(c, NULL,
	    "203.0.113.9"), "0 exotel ip 203.0.113.0/24");
	check("xff client address feeds auth_check", auth_check_at(c, NULL,
	    (struct sockaddr *)&ss, (time_t)NOW, &res, why, sizeof why) == 0,
	    why);
	check("xff proxy itself not allowed", auth_check_at(c, NULL,
	    peer("10.0.0.1"), (time_t)NOW, &res, why, sizeof why) == 403,
	    why);
	auth_config_free(c);
}

/* --- JWT ---------------------------------------------------------------- */

static EVP_PKEY *
private_key(const char *name)
{
	FILE *f = fopen(keypath(name), "r");
	EVP_PKEY *k;

	if (f == NULL) {
		fprintf(stderr, "auth-unit: no key %s\n", keypath(name));
		exit(111);
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static EVP_PKEY *rsa, *rsa2, *ec, *ec2;
static const char SECRET[] = "an HS256 secret of at least 32 bytes!";

/* "Bearer " + a token; header NULL means {"alg":how}; static. */
static const char *
bearer(const char *how, const char *header, const char *payload)
{
	static char out[16384];
	char hbuf[64];
	EVP_PKEY *k = strcmp(how, "ES256") == 0 ? ec : rsa;
	char *t;

	if (header == NULL) {
		snprintf(hbuf, sizeof hbuf, "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
		    how);
		header = hbuf;
	}
	t = jwt_sign(header, payload, how, (const unsigned char *)SECRET,
	    strlen(SECRET), k);
	snprintf(out, sizeof out, "Bearer %s", t ? t : "(sign failed)");
	free(t);
	return out;
}

#define P_GOOD "{\"sub\":\"agent-7\",\"tenant_id\":\"acme\"," \
	"\"exp\":1700000300,\"iat\":1700000000}"

static void
jwt_hs256_cases(void)
{
	struct auth_config *c;
	char tok[16384], *p;
	char big[4200];

	c = config((const char *[]){ "JWT_SECRET=an HS256 secret of at least "
	    "32 bytes!", NULL });
	expect("jwt HS256 valid", decide(c, bearer("HS256", NULL, P_GOOD),
	    "192.0.2.1"), "0 native jwt agent-7");
	check("jwt tenant from tenant_id", strcmp(res.tenant, "acme") == 0,
	    res.tenant);
	check("jwt claims compact", strcmp(res.claims, "{\"sub\":\"agent-7\","
	    "\"tenant_id\":\"acme\",\"exp\":1700000300,\"iat\":1700000000}") ==
	    0, res.claims);
	expect("jwt pretty payload", decide(c, bearer("HS256", NULL,
	    "{ \"sub\" : \"a\",\n \"exp\" : 1700000300 }"), "192.0.2.1"),
	    "0 native jwt a");
	check("jwt pretty payload claims compacted", strcmp(res.claims,
	    "{\"sub\":\"a\",\"exp\":1700000300}") == 0, res.claims);
	expect("jwt tenant claim fallback", decide(c, bearer("HS256", NULL,
	    "{\"tenant\":\"beta\",\"exp\":1700000300}"), "192.0.2.1"),
	    "0 native jwt ");
	check("jwt tenant claim fallback value", strcmp(res.tenant, "beta") ==
	    0, res.tenant);
	expect("jwt numeric tenant_id", decide(c, bearer("HS256", NULL,
	    "{\"tenant_id\":42,\"exp\":1700000300}"), "192.0.2.1"),
	    "0 native jwt ");
	check("jwt numeric tenant_id value", strcmp(res.tenant, "42") == 0,
	    res.tenant);
	expect("jwt bearer scheme case-blind, trailing blank", decide(c,
	    (snprintf(tok, sizeof tok, "bearer %s ", bearer("HS256", NULL,
	    P_GOOD) + 7), tok), "192.0.2.1"), "0 native jwt agent-7");
	expect("jwt expired", decide(c, bearer("HS256", NULL,
	    "{\"exp\":1699999970}"), "192.0.2.1"), "401 jwt expired");
	expect("jwt expired exactly at leeway", decide(c, bearer("HS256",
	    NULL, "{\"exp\":1699999970.0}"), "192.0.2.1"), "401 jwt expired");
	expect("jwt expired within leeway", decide(c, bearer("HS256", NULL,
	    "{\"exp\":1699999971}"), "192.0.2.1"), "0 native jwt ");
	expect("jwt not yet valid", decide(c, bearer("HS256", NULL,
	    "{\"exp\":1700000300,\"nbf\":1700000031}"), "192.0.2.1"),
	    "401 jwt not yet valid");
	expect("jwt nbf within leeway", decide(c, bearer("HS256", NULL,
	    "{\"exp\":1700000300,\"nbf\":1700000030}"), "192.0.2.1"),
	    "0 native jwt ");
	expect("jwt without exp", decide(c, bearer("HS256", NULL,
	    "{\"sub\":\"x\"}"), "192.0.2.1"), "401 jwt missing exp");
	expect("jwt exp as string", decide(c, bearer("HS256", NULL,
	    "{\"exp\":\"1700000300\"}"), "192.0.2.1"), "401 jwt bad claims");
	expect("jwt sub with newline", decide(c, bearer("HS256", NULL,
	    "{\"sub\":\"a\\nb\",\"exp\":1700000300}"), "192.0.2.1"),
	    "401 jwt bad claims");
	expect("jwt sub not a string", decide(c, bearer("HS256", NULL,
	    "{\"sub\":7,\"exp\":1700000300}"), "192.0.2.1"),
	    "401 jwt bad claims");
	memset(big, 'x', 200);
	snprintf(big + 200, sizeof big - 200, "\",\"exp\":1700000300}");
	snprintf(tok, sizeof tok, "{\"sub\":\"%s", big);
	expect("jwt over-long sub", decide(c, bearer("HS256", NULL, tok),
	    "192.0.2.1"), "401 jwt bad claims");
	memset(big, 'y', 4100);
	big[4100] = '\0';
	snprintf(tok, sizeof tok, "{\"exp\":1700000300,\"pad\":\"%s\"}", big);
	expect("jwt claims too large", decide(c, bearer("HS256", NULL, tok),
	    "192.0.2.1"), "401 jwt claims too large");
	expect("jwt payload not JSON (signed)", decide(c, bearer("HS256",
	    NULL, "{\"exp\":1700000300"), "192.0.2.1"), "401 jwt malformed");
	expect("jwt payload an array (signed)", decide(c, bearer("HS256",
	    NULL, "[1700000300]"), "192.0.2.1"), "401 jwt malformed");
	expect("jwt payload two values (signed)", decide(c, bearer("HS256",
	    NULL, "{\"exp\":1700000300}{}"), "192.0.2.1"), "401 jwt malformed");
	expect("jwt header not JSON", decide(c, bearer("HS256",
	    "{\"alg\":\"HS256\"", P_GOOD), "192.0.2.1"), "401 jwt malformed");
	expect("jwt header without alg", decide(c, bearer("HS256",
	    "{\"typ\":\"JWT\"}", P_GOOD), "192.0.2.1"), "401 jwt malformed");
	expect("jwt crit header refused", decide(c, bearer("HS256",
	    "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", P_GOOD), "192.0.2.1"),
	    "401 jwt crit header refused");
	expect("jwt alg none refused", decide(c, bearer("none", NULL, P_GOOD),
	    "192.0.2.1"), "401 jwt alg none refused");
	expect("jwt alg None refused", decide(c, bearer("none",
	    "{\"alg\":\"None\"}", P_GOOD), "192.0.2.1"),
	    "401 jwt alg none refused");
	snprintf(tok, sizeof tok, "%sAAAA", bearer("none", NULL, P_GOOD));
	expect("jwt alg none with a signature refused", decide(c, tok,
	    "192.0.2.1"), "401 jwt alg none refused");
	expect("jwt RS256 without a public key", decide(c, bearer("RS256",
	    NULL, P_GOOD), "192.0.2.1"), "401 jwt alg mismatch");
	expect("jwt HS512 refused", decide(c, bearer("HS256",
	    "{\"alg\":\"HS512\"}", P_GOOD), "192.0.2.1"),
	    "401 jwt alg mismatch");
	expect("jwt alg case matters", decide(c, bearer("HS256",
	    "{\"alg\":\"hs256\"}", P_GOOD), "192.0.2.1"),
	    "401 jwt alg mismatch");

	/* Tampering and shape. */
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	p = strchr(tok, '.') + 3;
	*p = *p == 'A' ? 'B' : 'A';
	expect("jwt tampered payload", decide(c, tok, "192.0.2.1"),
	    "401 jwt bad signature");
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	p = tok + strlen(tok) - 2;
	*p = *p == 'A' ? 'B' : 'A';
	expect("jwt tampered signature", decide(c, tok, "192.0.2.1"),
	    "401 jwt bad signature");
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	tok[strlen(tok) - 1] = '\0';
	expect("jwt exp of 1e300 refused (JWT_MAX_LIFETIME)", decide(c,
	    bearer("HS256", NULL, "{\"sub\":\"a\",\"exp\":1e300}"),
	    "192.0.2.1"), "401 jwt exp too far ahead");
	expect("jwt exp two days ahead refused (default horizon one day)",
	    decide(c, bearer("HS256", NULL, "{\"sub\":\"a\",\"exp\":1700172800}"),
	    "192.0.2.1"), "401 jwt exp too far ahead");
	expect("jwt exp within the horizon accepted", decide(c,
	    bearer("HS256", NULL, "{\"sub\":\"a\",\"exp\":1700086400}"),
	    "192.0.2.1"), "0 native jwt a");
	/* The same bytes, last character with its unused bits set. */
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == 'A' ? 'B' :
	    tok[strlen(tok) - 1] == 'Q' ? 'R' : tok[strlen(tok) - 1] == 'g' ?
	    'h' : tok[strlen(tok) - 1] == 'w' ? 'x' : '?';
	expect("jwt non-canonical base64url signature refused",
	    decide(c, tok, "192.0.2.1"), "401 jwt malformed");
	/* 43 characters less one: not a whole number of bytes. */
	expect("jwt truncated signature", decide(c, tok, "192.0.2.1"),
	    "401 jwt malformed");
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	*strrchr(tok, '.') = '\0';
	expect("jwt two segments", decide(c, tok, "192.0.2.1"),
	    "401 jwt malformed");
	snprintf(tok, sizeof tok, "%s.e30", bearer("HS256", NULL, P_GOOD));
	expect("jwt four segments", decide(c, tok, "192.0.2.1"),
	    "401 jwt malformed");
	snprintf(tok, sizeof tok, "%s=", bearer("HS256", NULL, P_GOOD));
	expect("jwt padded segment", decide(c, tok, "192.0.2.1"),
	    "401 jwt malformed");
	strcpy(tok, bearer("HS256", NULL, P_GOOD));
	*strrchr(tok, '.') = '\0';
	strcat(tok, ".");
	expect("jwt empty signature", decide(c, tok, "192.0.2.1"),
	    "401 jwt malformed");
	expect("jwt garbage segments", decide(c, "Bearer a.b.c", "192.0.2.1"),
	    "401 jwt malformed");
	expect("jwt non-base64 characters", decide(c,
	    "Bearer eyJ+.eyJ/.abc", "192.0.2.1"), "401 jwt malformed");
	expect("jwt dots only", decide(c, "Bearer ..", "192.0.2.1"),
	    "401 jwt malformed");
	expect("jwt header without typ", decide(c, bearer("HS256",
	    "{\"alg\":\"HS256\"}", P_GOOD), "192.0.2.1"),
	    "0 native jwt agent-7");
	expect("jwt bearer with nothing", decide(c, "Bearer", "192.0.2.1"),
	    "401 malformed authorization");
	expect("jwt bearer with blanks", decide(c, "Bearer   ", "192.0.2.1"),
	    "401 malformed authorization");
	expect("jwt inner blank", decide(c, "Bearer eyJ.eyJ .abc",
	    "192.0.2.1"), "401 jwt malformed");
	memset(tok, 'A', sizeof tok);
	memcpy(tok, "Bearer ", 7);
	tok[7 + 8193] = '\0';
	tok[100] = '.';
	tok[200] = '.';
	expect("jwt oversized token", decide(c, tok, "192.0.2.1"),
	    "401 jwt too long");
	auth_config_free(c);

	/* Another secret: a token signed with ours is a bad signature. */
	c = config((const char *[]){ "JWT_SECRET=another secret, also 32 "
	    "bytes long...", NULL });
	expect("jwt HS256 wrong secret", decide(c, bearer("HS256", NULL,
	    P_GOOD), "192.0.2.1"), "401 jwt bad signature");
	auth_config_free(c);

	c = config(NULL);
	expect("jwt without any key configured", decide(c, bearer("HS256",
	    NULL, P_GOOD), "192.0.2.1"), "401 jwt no key configured");
	auth_config_free(c);
}

static void
jwt_pkey_cases(void)
{
	struct auth_config *c;
	char var[600], tok[16384], *pub, *t, *p;
	EVP_PKEY *save;
	size_t n;

	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("rsa.pub"));
	c = config((const char *[]){ var, NULL });
	expect("jwt RS256 valid", decide(c, bearer("RS256", NULL, P_GOOD),
	    "192.0.2.1"), "0 native jwt agent-7");
	save = rsa, rsa = rsa2;
	expect("jwt RS256 wrong key", decide(c, bearer("RS256", NULL, P_GOOD),
	    "192.0.2.1"), "401 jwt bad signature");
	rsa = save;
	expect("jwt ES256 header with RSA key", decide(c, bearer("ES256", NULL,
	    P_GOOD), "192.0.2.1"), "401 jwt alg mismatch");
	expect("jwt HS256 refused with only a public key", decide(c,
	    bearer("HS256", NULL, P_GOOD), "192.0.2.1"),
	    "401 jwt alg mismatch");
	/* The classic confusion: HMAC keyed with the public key's PEM. */
	pub = file_text("rsa.pub");
	t = jwt_sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", P_GOOD, "HS256",
	    (const unsigned char *)pub, strlen(pub), NULL);
	snprintf(tok, sizeof tok, "Bearer %s", t);
	expect("jwt HS256 keyed with the RSA public key", decide(c, tok,
	    "192.0.2.1"), "401 jwt alg mismatch");
	auth_config_free(c);
	/* Same, with a (different) secret configured as well. */
	c = config((const char *[]){ var, "JWT_SECRET=0123456789abcdef"
	    "0123456789abcdef", NULL });
	expect("jwt HS256 keyed with the RSA public key, secret set",
	    decide(c, tok, "192.0.2.1"), "401 jwt bad signature");
	expect("jwt RS256 still valid beside a secret", decide(c,
	    bearer("RS256", NULL, P_GOOD), "192.0.2.1"),
	    "0 native jwt agent-7");
	auth_config_free(c);
	free(t);

	snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s", keypath("ec.pub"));
	c = config((const char *[]){ var, "JWT_AUDIENCE=ingest",
	    "JWT_ISSUER=https://auth.example", NULL });
	expect("jwt ES256 valid, aud and iss", decide(c, bearer("ES256", NULL,
	    "{\"sub\":\"s\",\"aud\":\"ingest\",\"iss\":\"https://auth.example\","
	    "\"exp\":1700000300}"), "192.0.2.1"), "0 native jwt s");
	jwt_sign_high_s = 1;
	expect("jwt ES256 high-S twin of a valid signature refused",
	    decide(c, bearer("ES256", NULL, "{\"sub\":\"s\",\"aud\":\"ingest\","
	    "\"iss\":\"https://auth.example\",\"exp\":1700000300}"),
	    "192.0.2.1"), "401 jwt bad signature");
	jwt_sign_high_s = 0;
	expect("jwt aud array", decide(c, bearer("ES256", NULL,
	    "{\"aud\":[\"x\",\"ingest\"],\"iss\":\"https://auth.example\","
	    "\"exp\":1700000300}"), "192.0.2.1"), "0 native jwt ");
	expect("jwt wrong aud", decide(c, bearer("ES256", NULL,
	    "{\"aud\":[\"x\"],\"iss\":\"https://auth.example\","
	    "\"exp\":1700000300}"), "192.0.2.1"), "401 jwt wrong audience");
	expect("jwt missing aud", decide(c, bearer("ES256", NULL,
	    "{\"iss\":\"https://auth.example\",\"exp\":1700000300}"),
	    "192.0.2.1"), "401 jwt wrong audience");
	expect("jwt aud with a NUL after the right one", decide(c,
	    bearer("ES256", NULL, "{\"aud\":\"ingest\\u0000x\",\"iss\":"
	    "\"https://auth.example\",\"exp\":1700000300}"), "192.0.2.1"),
	    "401 jwt wrong audience");
	expect("jwt iss with a NUL after the right one", decide(c,
	    bearer("ES256", NULL, "{\"aud\":\"ingest\",\"iss\":"
	    "\"https://auth.example\\u0000\",\"exp\":1700000300}"),
	    "192.0.2.1"), "401 jwt wrong issuer");
	expect("jwt wrong iss", decide(c, bearer("ES256", NULL,
	    "{\"aud\":\"ingest\",\"iss\":\"https://evil.example\","
	    "\"exp\":1700000300}"), "192.0.2.1"), "401 jwt wrong issuer");
	save = ec, ec = ec2;
	expect("jwt ES256 wrong key", decide(c, bearer("ES256", NULL,
	    "{\"aud\":\"ingest\",\"iss\":\"https://auth.example\","
	    "\"exp\":1700000300}"), "192.0.2.1"), "401 jwt bad signature");
	ec = save;
	expect("jwt RS256 header with EC key", decide(c, bearer("RS256", NULL,
	    P_GOOD), "192.0.2.1"), "401 jwt alg mismatch");
	/* A DER signature where JOSE wants r||s is refused. */
	{
		const char *in = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3MDAwMDAzMDB9";
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned char der[128];
		char *s;

		n = sizeof der;
		EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ec);
		EVP_DigestSign(ctx, der, &n, (const unsigned char *)in,
		    strlen(in));
		EVP_MD_CTX_free(ctx);
		s = b64url(der, n);
		snprintf(tok, sizeof tok, "Bearer %s.%s", in, s);
		free(s);
		expect("jwt ES256 DER signature refused", decide(c, tok,
		    "192.0.2.1"), "401 jwt bad signature");
	}
	/* r||s with a flipped bit in s. */
	strcpy(tok, bearer("ES256", NULL, "{\"aud\":\"ingest\",\"iss\":"
	    "\"https://auth.example\",\"exp\":1700000300}"));
	p = tok + strlen(tok) - 5;
	*p = *p == 'A' ? 'B' : 'A';
	expect("jwt ES256 tampered signature", decide(c, tok, "192.0.2.1"),
	    "401 jwt bad signature");
	auth_config_free(c);
}

static void
reason_cases(void)
{
	static const char *const whys[] = {
		"missing authorization", "malformed authorization",
		"unsupported authorization scheme",
		"basic credentials required", "basic bad credentials",
		"exotel disabled", "ip not allowed", "exotel no auth "
		"configured: set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH", NULL
	};
	int i, ok = 1;
	char detail[128] = "";
	const char *r;

	for (i = 0; whys[i]; i++)
		if (strcmp(auth_reason(whys[i]), "other") == 0) {
			ok = 0;
			snprintf(detail, sizeof detail, "%s", whys[i]);
		}
	for (i = 1; i <= JWT_CLAIMS_TOO_LARGE; i++)
		if (strcmp(auth_reason(jwt_strerror(i)), "other") == 0) {
			ok = 0;
			snprintf(detail, sizeof detail, "%s", jwt_strerror(i));
		}
	check("every why has a metrics label", ok, detail);
	r = auth_reason("exotel no auth configured: set EXOTEL_ALLOW_IPS or "
	    "EXOTEL_BASIC_AUTH");
	check("long why has a short label",
	    strcmp(r, "exotel_no_auth_configured") == 0, r);
	check("unknown why is other", strcmp(auth_reason("x"), "other") == 0,
	    NULL);
	check("ct_equal", ct_equal("abc", 3, "abc", 3) &&
	    !ct_equal("abc", 3, "abd", 3) && !ct_equal("abc", 3, "abcd", 4) &&
	    ct_equal("", 0, "", 0), NULL);
}

/* --- bench ------------------------------------------------------------- */

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per auth_check_at of authz from addr, over n runs; 0 if it refuses. */
static double
time_check(const struct auth_config *c, const char *authz, const char *addr,
    int n)
{
	double t0;
	int i, bad = 0;

	t0 = now_ns();
	for (i = 0; i < n; i++)
		bad |= auth_check_at(c, authz, peer(addr), (time_t)NOW, &res,
		    why, sizeof why);
	return bad ? 0 : (now_ns() - t0) / n;
}

/* ns per bare verification of token (borrowed) with OpenSSL: the peer. */
static double
time_raw(const char *how, const char *token, EVP_PKEY *pub, int n)
{
	const char *dot = strrchr(token, '.');
	unsigned char sig[512], mac[64], *der = NULL;
	long siglen = base64_decode(dot + 1, strlen(dot + 1), sig);
	size_t maclen, derlen = 0;
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	double t0;
	int i, ok = 1;

	if (strcmp(how, "ES256") == 0) {	/* the peer gets DER for free */
		es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
		    BN_bin2bn(sig + 32, 32, NULL));
		derlen = (size_t)i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (strcmp(how, "HS256") == 0) {
			ok &= EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
			    (const unsigned char *)SECRET, strlen(SECRET),
			    (const unsigned char *)token, (size_t)(dot - token),
			    mac, sizeof mac, &maclen) != NULL &&
			    CRYPTO_memcmp(mac, sig, 32) == 0;
			continue;
		}
		ctx = EVP_MD_CTX_new();
		ok &= EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
		    pub) == 1 && EVP_DigestVerify(ctx, der ? der : sig,
		    der ? derlen : (size_t)siglen,
		    (const unsigned char *)token, (size_t)(dot - token)) == 1;
		EVP_MD_CTX_free(ctx);
	}
	OPENSSL_free(der);
	return ok ? (now_ns() - t0) / n : 0;
}

static EVP_PKEY *
public_key(const char *name)
{
	FILE *f = fopen(keypath(name), "r");
	EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static int
bench(void)
{
	static const char *const algs[] = { "HS256", "RS256", "ES256" };
	static const int iters[] = { 20000, 3000, 3000 };
	struct auth_config *c;
	char var[4096], list[1024], pairs[1024], tok[4096];
	EVP_PKEY *pub;
	double t, best, peer_best;
	int i, n, r;

	/* Ten entries each, the match last: the worst case of a small list. */
	for (i = n = 0; i < 9; i++)
		n += snprintf(list + n, sizeof list - n, "10.%d.0.0/16,", i);
	snprintf(list + n, sizeof list - n, "127.0.0.1");
	for (i = n = 0; i < 9; i++)
		n += snprintf(pairs + n, sizeof pairs - n, "key%d:tok%d,", i, i);
	snprintf(pairs + n, sizeof pairs - n, "acme:s3cret");
	c = config((const char *[]){ "SUPPORT_EXOTEL=true",
	    (snprintf(var, sizeof var, "EXOTEL_ALLOW_IPS=%s", list), var),
	    NULL });
	for (r = 0, best = 0; r < 5; r++) {
		t = time_check(c, NULL, "::ffff:127.0.0.1", 40000);
		best = r == 0 || t < best ? t : best;
	}
	printf("ip %.0f 0 200000\n", best);
	auth_config_free(c);
	snprintf(var, sizeof var, "EXOTEL_BASIC_AUTH=%s", pairs);
	c = config((const char *[]){ "SUPPORT_EXOTEL=true", var, NULL });
	for (r = 0, best = 0; r < 5; r++) {
		t = time_check(c, basic("acme:s3cret"), "192.0.2.1", 20000);
		best = r == 0 || t < best ? t : best;
	}
	printf("basic %.0f 0 100000\n", best);
	auth_config_free(c);
	for (i = 0; i < 3; i++) {
		if (i == 0)
			c = config((const char *[]){ "JWT_SECRET=an HS256 "
			    "secret of at least 32 bytes!", NULL });
		else {
			snprintf(var, sizeof var, "JWT_PUBLIC_KEY=%s",
			    keypath(i == 1 ? "rsa.pub" : "ec.pub"));
			c = config((const char *[]){ var, NULL });
		}
		snprintf(tok, sizeof tok, "%s", bearer(algs[i], NULL, P_GOOD));
		pub = i ? public_key(i == 1 ? "rsa.pub" : "ec.pub") : NULL;
		/*
		 * Best of five rounds, ours and the peer interleaved, so a
		 * neighbour's burst on a shared machine skews neither alone.
		 */
		for (r = 0, best = peer_best = 0; r < 5; r++) {
			t = time_check(c, tok, "192.0.2.1", iters[i] / 5);
			best = r == 0 || t < best ? t : best;
			t = time_raw(algs[i], tok + 7, pub, iters[i] / 5);
			peer_best = r == 0 || t < peer_best ? t : peer_best;
		}
		printf("%s %.0f %.0f %d\n", algs[i], best, peer_best, iters[i]);
		EVP_PKEY_free(pub);
		auth_config_free(c);
	}
	return 0;
}

/* auth-unit check address [authorization]: one decision, env config. */
static int
one(int argc, char **argv)
{
	struct auth_config *c;
	char err[512], w[256];
	struct auth_result r;
	int st;

	if ((c = auth_config_new(err, sizeof err)) == NULL) {
		printf("config %s\n", err);
		return 1;
	}
	st = auth_check(c, argc > 3 ? argv[3] : NULL, peer(argv[2]), &r, w,
	    sizeof w);
	if (st == 0)
		printf("0 %s %s %s %s %s\n", protocol_name(r.protocol),
		    r.method, r.principal, r.tenant,
		    r.claims);
	else
		printf("%d %s\n", st, w);
	auth_config_free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	int n;

	if (argc >= 3 && strcmp(argv[1], "check") == 0)
		return one(argc, argv);
	if (argc == 3 && strcmp(argv[1], "bench") == 0) {
		keydir = argv[2];
		rsa = private_key("rsa.pem");
		ec = private_key("ec.pem");
		n = bench();
		EVP_PKEY_free(rsa);
		EVP_PKEY_free(ec);
		return n;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: auth-unit keydir | auth-unit check "
		    "address [authorization] | auth-unit bench keydir\n");
		return 100;
	}
	keydir = argv[1];
	rsa = private_key("rsa.pem");
	rsa2 = private_key("rsa2.pem");
	ec = private_key("ec.pem");
	ec2 = private_key("ec2.pem");
	cidr_cases();
	json_valid_cases();
	config_cases();
	exotel_cases();
	proxy_cases();
	jwt_hs256_cases();
	jwt_pkey_cases();
	reason_cases();
	env(NULL);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec2);
	return failed;
}
