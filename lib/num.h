/*
 * num.h - the one bounded number parser every option and field goes through.
 */
#ifndef NUM_H
#define NUM_H

/*
 * Parse s as a whole decimal integer in [min, max] into *out.
 * Rejects empty strings, signs where min >= 0, trailing junk and overflow.
 * Returns 0 on success, -1 otherwise (*out untouched).
 */
int parse_long(const char *s, long long min, long long max, long long *out);

/* Same, for an int option; on failure exits EXIT_USAGE naming the option. */
int opt_int(const char *what, const char *s, long long min, long long max);

/* A sample rate accepted by the tools: 8000, 16000, 24000, ... in [1000, 192000]. */
#define RATE_MIN 1000
#define RATE_MAX 192000

/*
 * getenv() with an empty value treated as unset.  Borrowed pointer into
 * the environment, valid until the environment changes.
 */
const char *env_get(const char *name);

#endif
