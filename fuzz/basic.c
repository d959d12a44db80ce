/*
 * fuzz/basic.c - libFuzzer target: ws-accept's Basic credentials
 * (tools/ws-accept/basic.c).  The input is "spec\nheader": spec is an
 * EXOTEL_BASIC_AUTH value (key:token[:tenant] entries), header the
 * credentials part of a Basic Authorization header.  Invariants: a match
 * names an entry that exists, and the key it reports is a C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct basic_creds bc;
	char key[BASIC_KEY_MAX + 1], err[256], *s, *nl;
	size_t entry;
	int r;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&bc, 0, sizeof bc);
	nl = memchr(s, '\n', size);
	if (nl != NULL)
		*nl = '\0';
	/* "@file" would read the file system: not for a fuzzer. */
	if (s[0] != '@' && basic_load(&bc, s, err, sizeof err) == 0) {
		if (nl != NULL) {
			r = basic_check(&bc, nl + 1, size - (size_t)(nl + 1 - s),
			    key, &entry);
			if (r == 1 && (entry >= bc.n ||
			    strlen(key) > BASIC_KEY_MAX ||
			    strlen(bc.tenant[entry]) > TENANT_MAX))
				abort();
		}
		basic_free(&bc);
	}
	free(s);
	return 0;
}
