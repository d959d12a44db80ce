/*
 * base64url.h - RFC 4648 section 5 base64url without padding, as JWS
 * compact serialization (JWTs) spells it.  Built on base64.h.
 */
#ifndef BASE64URL_H
#define BASE64URL_H

#include <stddef.h>

/*
 * Encode n bytes of in (borrowed) into out, which must hold
 * BASE64_ENCODED_LEN(n) + 1 bytes (the padded length: the encoding is
 * made padded, then cut); NUL-terminated.  Returns the length.
 */
size_t base64url_encode(const void *in, size_t n, char *out);

/*
 * Decode n characters of in (borrowed) into out (room for
 * BASE64_DECODED_MAX(n)), strictly: only the 64 base64url characters,
 * no padding or blanks, and the one canonical spelling of the bytes (a
 * length that whole bytes make, the bits past the last byte zero: "...Q"
 * and "...R" would decode alike).  Returns the decoded length, or -1.
 */
long base64url_decode(const char *in, size_t n, void *out);

#endif
