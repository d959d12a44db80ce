/*
 * setting.h - "option, else environment variable, else default", the one
 * way every tool reads a setting.  Numbers go through the bounded parser
 * (num.h), booleans through one parser with one set of spellings, and a
 * bad value is a usage error (exit 100) naming where it came from: the
 * option ("-p") when it was given, else the variable ("PORT").
 *
 * Typical use: getopt stores optarg pointers (borrowed from argv) in a
 * struct, then each setting is resolved once after the loop:
 *
 *	cfg->port = setting_int("-p", o.port, "PORT", 0, 65535, 8443);
 */
#ifndef SETTING_H
#define SETTING_H

/*
 * One boolean spelling table for every tool: true, yes, on, 1 and false,
 * no, off, 0, in any case, blanks around ignored.  1, 0, or -1 for
 * anything else (including NULL).
 */
int bool_parse(const char *s);

/*
 * The first of opt (an option's argument, may be NULL) and the variable
 * env (empty counts as unset; env may be NULL) that is set, else def.
 * Borrowed: valid as long as argv and the environment are.
 */
const char *setting_str(const char *opt, const char *env, const char *def);

/*
 * The same as an integer in [min, max].  optname names the option in a
 * message (e.g. "-p").  A value that is not such an integer exits
 * EXIT_USAGE with a message naming the option or the variable.
 */
long long setting_int(const char *optname, const char *opt, const char *env,
    long long min, long long max, long long def);

/*
 * The same as a boolean (bool_parse's spellings).  A bad value exits
 * EXIT_USAGE naming the option or variable and the spellings accepted.
 */
int setting_bool(const char *optname, const char *opt, const char *env,
    int def);

/*
 * --help and --version, for every tool: looks at argv up to "--" or the
 * first argument that is not an option.  --help prints "usage: <usage>",
 * then help (the options, one a line; may be NULL) on stdout and exits 0;
 * --version prints "<progname> <version>" and exits 0.  Call after
 * msg_init() and before getopt.
 */
void std_options(int argc, char **argv, const char *usage, const char *help);

/* The build's version (git describe at build time, else "unknown"). */
extern const char ingest_version[];

#endif
