/*
 * jwt-mint - print a signed JWT for tests.
 *
 *   jwt-mint [-a alg] [-s secret | -S secret-file] [-k private-key.pem]
 *       [-H header-json] [payload-json]
 *
 * alg is how the token is signed: HS256 (HMAC with the secret, or with
 * the bytes of secret-file, e.g. an RSA public key PEM to try algorithm
 * confusion), RS256 or ES256 (with the PEM private key), none (empty
 * signature).  The header is {"alg":"<alg>","typ":"JWT"} unless -H gives
 * one verbatim, so a header may lie about how the token was signed.  The
 * payload defaults to {"sub":"test","exp":<now + 300>}.  Exit 0, 1 when
 * the key cannot be read or signing fails, 100 on usage.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "jwt-sign.h"
#include "msg.h"

#define USAGE "jwt-mint [-a alg] [-s secret | -S secret-file] " \
	"[-k private-key.pem] [-H header-json] [payload-json]"

/* The whole of path, malloc'd, length in *n; exits 1 on failure. */
static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0 || (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len)
		fatal_sys(EXIT_BADINPUT, "unable to read %s", path);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *alg = "HS256", *header = NULL, *keyfile = NULL;
	unsigned char *secret = NULL;
	size_t secretlen = 0;
	char hbuf[64], pbuf[64], *tok;
	EVP_PKEY *pkey = NULL;
	FILE *f;
	int c;

	msg_init(argv[0]);
	while ((c = getopt(argc, argv, "a:s:S:k:H:h")) != -1) {
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 's':
			free(secret);
			secretlen = strlen(optarg);
			secret = (unsigned char *)strdup(optarg);
			break;
		case 'S':
			free(secret);
			secret = slurp(optarg, &secretlen);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'H':
			header = optarg;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	if (argc - optind > 1)
		usage_exit(USAGE);
	if (keyfile) {
		if ((f = fopen(keyfile, "r")) == NULL)
			fatal_sys(EXIT_BADINPUT, "unable to open %s", keyfile);
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (pkey == NULL)
			fatal(EXIT_BADINPUT, "no private key in %s", keyfile);
	}
	if (header == NULL) {
		snprintf(hbuf, sizeof hbuf, "{\"alg\":\"%.32s\",\"typ\":\"JWT\"}",
		    alg);
		header = hbuf;
	}
	snprintf(pbuf, sizeof pbuf, "{\"sub\":\"test\",\"exp\":%lld}",
	    (long long)time(NULL) + 300);
	tok = jwt_sign(header, optind < argc ? argv[optind] : pbuf, alg,
	    secret ? secret : (const unsigned char *)"", secretlen, pkey);
	if (tok == NULL)
		fatal(EXIT_BADINPUT, "unable to sign as %s (key missing or of "
		    "the wrong type?)", alg);
	printf("%s\n", tok);
	free(tok);
	free(secret);
	EVP_PKEY_free(pkey);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal_sys(EXIT_SYSTEM, "unable to write the token");
	return 0;
}
