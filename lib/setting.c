/*
 * setting.c - see setting.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "num.h"
#include "setting.h"

#ifndef INGEST_VERSION
#define INGEST_VERSION "unknown"
#endif
const char ingest_version[] = INGEST_VERSION;

int
bool_parse(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i, n;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
			return 1;
		if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0)
			return 0;
	}
	return -1;
}

/* Which of the two sources gave the value: its name and its text. */
static const char *
source(const char *optname, const char *opt, const char *env,
    const char **val)
{
	if (opt != NULL) {
		*val = opt;
		return optname ? optname : "option";
	}
	*val = env ? env_get(env) : NULL;
	return env;
}

const char *
setting_str(const char *opt, const char *env, const char *def)
{
	const char *v;

	if (opt != NULL)
		return opt;
	if (env != NULL && (v = env_get(env)) != NULL)
		return v;
	return def;
}

long long
setting_int(const char *optname, const char *opt, const char *env,
    long long min, long long max, long long def)
{
	const char *val, *name = source(optname, opt, env, &val);
	long long v;

	if (val == NULL)
		return def;
	if (parse_long(val, min, max, &v) < 0)
		fatal(EXIT_USAGE, "invalid %s: %s (want an integer from %lld "
		    "to %lld)", name, val, min, max);
	return v;
}

int
setting_bool(const char *optname, const char *opt, const char *env, int def)
{
	const char *val, *name = source(optname, opt, env, &val);
	int b;

	if (val == NULL)
		return def;
	if ((b = bool_parse(val)) < 0)
		fatal(EXIT_USAGE, "invalid %s: %s (want true, yes, on, 1 or "
		    "false, no, off, 0)", name, val);
	return b;
}

void
std_options(int argc, char **argv, const char *usage, const char *help)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n", usage);
			if (help)
				fputs(help, stdout);
			exit(fflush(stdout) == 0 && !ferror(stdout) ?
			    EXIT_OK : EXIT_SYSTEM);
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", progname, ingest_version);
			exit(fflush(stdout) == 0 && !ferror(stdout) ?
			    EXIT_OK : EXIT_SYSTEM);
		}
	}
}
