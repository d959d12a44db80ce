/*
 * chain.h - exotel-decode -- prog args...: prog started once per track of
 * each stream, as the track's first chunk arrives, with that track's PCM
 * on its stdin and the call in its environment.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <sys/types.h>

#include "proto.h"

struct chain {
	pid_t pid;
	int pcm;		/* our end of the child's stdin; -1: closed */
	int ev;			/* our end of the event pipe, -1 without -e */
};

/*
 * Start argv (borrowed) for track (T_INBOUND...) of call c (borrowed),
 * whose PCM is at rate and came in codec.  ev_to >= 0: an event pipe
 * whose read end the child gets as descriptor ev_to; start_line
 * (borrowed, n bytes, at most PIPE_BUF) goes into it first.  Our ends
 * are close-on-exec and the event end non-blocking.  Returns 0; exits
 * 126 or 127 when the child cannot be run, 111 on a system failure.
 */
int chain_start(struct chain *ch, char *const *argv, const struct call *c,
    int track, int codec, unsigned rate, int ev_to, const char *start_line,
    size_t n);

/* Close our ends: the child sees EOF on both pipes. */
void chain_close(struct chain *ch);

/* Close our ends, wait for the child; returns its status as the table says. */
int chain_wait(struct chain *ch);

#endif
