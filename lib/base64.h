/*
 * base64.h - RFC 4648 base64, in C because jq's @base64d corrupts binary.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/* Bytes needed to encode n bytes, without the NUL. */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Upper bound of bytes decoded from n characters. */
#define BASE64_DECODED_MAX(n) (((n) / 4) * 3 + 3)

/*
 * Encode n bytes of in (borrowed) into out, which must hold
 * BASE64_ENCODED_LEN(n) + 1 bytes; NUL-terminated.  Returns the length.
 */
size_t base64_encode(const void *in, size_t n, char *out);

/*
 * Decode n characters of in into out (room for BASE64_DECODED_MAX(n)).
 * Accepts the standard and URL-safe alphabets, missing padding, and
 * ignores ASCII whitespace.  Rejects any other character, data after
 * padding, and a lone trailing character.  Returns the decoded length,
 * or -1 when the input is not base64.
 */
long base64_decode(const char *in, size_t n, void *out);

#endif
