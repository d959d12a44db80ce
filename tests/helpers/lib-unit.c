/*
 * lib-unit - unit cases for the shared library (lib/): base64, base64url, the
 * bounded number parser, mu-law, the WAV header.  Prints PASS/FAIL lines
 * like every test file; exits 1 if any case failed.
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "base64url.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "logsafe.h"
#include "pcm.h"

static int failed;

static void
check(const char *name, int ok)
{
	printf("%s: lib %s\n", ok ? "PASS" : "FAIL", name);
	if (!ok)
		failed = 1;
}

/* Does dec (base64_decode or base64url_decode) turn in into want? */
static int
decodes(long (*dec)(const char *, size_t, void *), const char *in,
    const char *want, long wantlen)
{
	unsigned char out[256];
	long n = dec(in, strlen(in), out);

	if (n != wantlen)
		return 0;
	return n < 0 || memcmp(out, want, (size_t)n) == 0;
}

static int
dec_is(const char *in, const char *want, long wantlen)
{
	return decodes(base64_decode, in, want, wantlen);
}

static void
base64_cases(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[64];
	unsigned char all[256], back[512];
	char big[400];
	int i, ok = 1;

	for (i = 0; i < 7; i++) {
		base64_encode(plain[i], strlen(plain[i]), out);
		ok &= strcmp(out, coded[i]) == 0;
		ok &= dec_is(coded[i], plain[i], (long)strlen(plain[i]));
	}
	check("base64 RFC 4648 vectors", ok);
	check("base64 missing padding accepted", dec_is("Zm9vYg", "foob", 4) && dec_is("Zm8", "fo", 2));
	check("base64 whitespace ignored", dec_is("Zm9v\r\nYmFy", "foobar", 6));
	check("base64 url-safe alphabet", dec_is("-_8=", "\xfb\xff", 2) && dec_is("+/8=", "\xfb\xff", 2));
	check("base64 bad character refused", dec_is("Zm9v!", "", -1) && dec_is("Zm\"9", "", -1));
	check("base64 lone trailing character refused", dec_is("Zm9vY", "", -1));
	check("base64 data after padding refused", dec_is("Zg==Zg==", "", -1) && dec_is("Z=g=", "", -1));
	check("base64 too much padding refused", dec_is("Zg===", "", -1));
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	base64_encode(all, sizeof all, big);
	check("base64 binary round trip",
	    base64_decode(big, strlen(big), back) == 256 && memcmp(all, back, 256) == 0);
	/* Every pair of sextets, against the plain definition (RFC 4648 4). */
	ok = 1;
	for (i = 0; i < 4096 && ok; i++) {
		static const char a64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned char three[3] = { (unsigned char)(i >> 4),
		    (unsigned char)((i & 15) << 4 | (i >> 8)), (unsigned char)i };
		unsigned v = (unsigned)three[0] << 16 | (unsigned)three[1] << 8 | three[2];
		char want[5] = { a64[v >> 18], a64[v >> 12 & 63], a64[v >> 6 & 63], a64[v & 63], 0 };

		base64_encode(three, 3, out);
		ok = strcmp(out, want) == 0;
	}
	check("base64 encode: every 12-bit group as RFC 4648 spells it", ok);
}

static int
urldec_is(const char *in, const char *want, long wantlen)
{
	return decodes(base64url_decode, in, want, wantlen);
}

static void
base64url_cases(void)
{
	char out[64];

	base64url_encode("\xfb\xff", 2, out);
	check("base64url encodes - and _ without padding", strcmp(out, "-_8") == 0);
	base64url_encode("foobar", 6, out);
	check("base64url whole groups as base64", strcmp(out, "Zm9vYmFy") == 0);
	check("base64url decodes its own spelling",
	    urldec_is("-_8", "\xfb\xff", 2) && urldec_is("Zm9vYg", "foob", 4) &&
	    urldec_is("", "", 0));
	check("base64url refuses padding, + / and blanks",
	    urldec_is("Zm8=", "", -1) && urldec_is("+/8", "", -1) &&
	    urldec_is("Zm9v Yg", "", -1));
	check("base64url refuses a lone trailing character", urldec_is("Zm9vY", "", -1));
	check("base64url refuses a non-canonical last character",
	    urldec_is("Zh", "", -1) && urldec_is("Zm9", "", -1) &&
	    urldec_is("Zg", "f", 1) && urldec_is("Zm8", "fo", 2));
}

static void
num_cases(void)
{
	long long v = -1;

	check("num plain", parse_long("8000", 0, 192000, &v) == 0 && v == 8000);
	check("num bounds inclusive", parse_long("0", 0, 5, &v) == 0 && parse_long("5", 0, 5, &v) == 0);
	check("num over max refused", parse_long("192001", 0, 192000, &v) < 0);
	check("num under min refused", parse_long("-1", -0, 10, &v) < 0 && parse_long("2", 3, 10, &v) < 0);
	check("num trailing junk refused", parse_long("80x", 0, 100, &v) < 0 && parse_long("8 ", 0, 100, &v) < 0);
	check("num empty and space refused", parse_long("", 0, 1, &v) < 0 && parse_long(" 1", 0, 1, &v) < 0);
	check("num sign refused when unsigned", parse_long("+1", 0, 9, &v) < 0);
	check("num negative allowed when min < 0", parse_long("-7", -10, 10, &v) == 0 && v == -7);
	check("num overflow refused", parse_long("99999999999999999999", 0, 1LL << 62, &v) < 0);
}

static void
pcm_cases(void)
{
	uint8_t u[4] = { 0x00, 0x7f, 0x80, 0xff }, out[8], h[WAV_HEADER_LEN];
	int i, ok = 1;

	ulaw_decode(u, 4, out);
	check("mulaw extremes", le16_get(out) == -32124 && le16_get(out + 2) == 0 &&
	    le16_get(out + 4) == 32124 && le16_get(out + 6) == 0);
	for (i = 0; i < 256; i++)
		ok &= ulaw_to_pcm16(pcm16_to_ulaw(ulaw_to_pcm16((uint8_t)i))) ==
		    ulaw_to_pcm16((uint8_t)i);
	check("mulaw encode inverts decode", ok);
	check("mulaw encoder clips", pcm16_to_ulaw(32767) == 0x80 && pcm16_to_ulaw(-32768) == 0x00);
	wav_header(h, 16000);
	check("wav header", memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVEfmt ", 8) == 0 &&
	    h[24] == 0x80 && h[25] == 0x3e && h[28] == 0x00 && h[29] == 0x7d &&
	    memcmp(h + 36, "data", 4) == 0);
}

int
main(int argc, char **argv)
{
	int i;
	uint8_t b, out[2];

	/* "lib-unit mulaw-table": the 256 decoded samples, for comparing with sox. */
	if (argc > 1 && strcmp(argv[1], "mulaw-table") == 0) {
		for (i = 0; i < 256; i++) {
			b = (uint8_t)i;
			ulaw_decode(&b, 1, out);
			fwrite(out, 1, 2, stdout);
		}
		return 0;
	}
	/*
	 * The setting helper as a tool uses it (tests/lib-setting.sh):
	 * "bool S" prints bool_parse(S); "setting-int [OPT]" resolves -p OPT
	 * over PORT over 8443; "setting-bool" resolves FLAG (default 0);
	 * "logsafe S" prints logsafe(S).
	 */
	if (argc > 2 && strcmp(argv[1], "bool") == 0) {
		printf("%d\n", bool_parse(argv[2]));
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "setting-int") == 0) {
		msg_init("lib-unit");
		printf("%lld\n", setting_int("-p", argc > 2 ? argv[2] : NULL,
		    "PORT", 0, 65535, 8443));
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "setting-bool") == 0) {
		msg_init("lib-unit");
		printf("%d\n", setting_bool(NULL, NULL, "FLAG", 0));
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "logsafe") == 0) {
		char w[LOGSAFE_SIZE(64)], l[LOGSAFE_SIZE(64)];

		printf("%s|%s\n", logsafe(argv[2], w, sizeof w),
		    logsafe_line(argv[2], l, sizeof l));
		return 0;
	}
	base64_cases();
	base64url_cases();
	num_cases();
	pcm_cases();
	return failed;
}
