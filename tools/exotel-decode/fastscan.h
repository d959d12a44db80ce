/*
 * fastscan.h - the hot path: a strict scanner that recognises a media
 * message and finds its payload, timestamp and chunk without building
 * any value.  Everything it is not sure about goes to libjq instead, so
 * it can only make decoding faster, never different.
 */
#ifndef FASTSCAN_H
#define FASTSCAN_H

#include <stddef.h>

struct fastmedia {
	char *payload;		/* borrowed span of the line, base64 text */
	size_t paylen;
	int escaped;		/* the payload had "\/" escapes (now undone) */
	long long ts;		/* media.timestamp, -1 when absent */
	long long chunk;	/* media.chunk, -1 when absent */
	const char *track;	/* borrowed span; NULL when absent */
	size_t tracklen;
};

/*
 * line (n bytes, borrowed, modified in place only on success: JSON "\/"
 * escapes in the payload are undone) is one whole message.  Returns 1
 * when it is a well-formed media message whose fields were all plain
 * (fm filled), 0 when libjq must look at it.  Control characters in the
 * payload are only ruled out when fm->escaped: otherwise a payload that
 * is not base64 must go to libjq too (it may not even be JSON).  ts_max
 * and chunk_max bound the numbers it accepts.
 */
int fast_media(char *line, size_t n, long long ts_max, long long chunk_max,
    struct fastmedia *fm);

#endif
