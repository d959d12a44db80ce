/*
 * fuzz/httphead.c - libFuzzer target: ws-accept's checks on a request
 * head before libwebsockets sees it (tools/ws-accept/httphead.c).  The
 * input is what a client sends; the end is found as the listener does,
 * then the head is judged.  Invariants: the end is within the input and
 * just past a blank line; a refusal always has a status and a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httphead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL, *buf;
	char *copy;
	size_t end;
	int st;

	/* An exact-size copy, so ASan sees any read past the input. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	buf = copy;
	end = httphead_end(buf, size);
	if (end > size || (end > 0 && buf[end - 1] != '\n'))
		abort();
	st = httphead_check(buf, end ? end : size, &why);
	if (st != 0 && (why == NULL || (st != 400 && st != 431 && st != 505)))
		abort();
	free(copy);
	return 0;
}
