/*
 * fuzz/intake.c - libFuzzer target: ws-accept's METRICS_FD line parser
 * (tools/ws-accept/intake.c).  Each input line is offered; whatever is
 * accepted must render as exposition text where every series line is
 * "key value" with no control character but the newlines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[1 << 20];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t off = 0, i;

	intake_reset();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		intake_line(p, (size_t)(nl - p));
		p = nl + 1;
	}
	intake_render(out, sizeof out, &off);
	for (i = 0; i < off; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\n')
			abort();
	return 0;
}
