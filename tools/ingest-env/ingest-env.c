/*
 * ingest-env - read an env file into the environment, then run a program
 * (chain-loading, as s6-envdir does for a directory).
 *
 *	ingest-env [-lv] [-f env-file] prog [arg ...]
 *
 * Reads -f FILE, else $INGEST_ENV_FILE, else .env.local in the working
 * directory when it exists.  The file is parsed, never run by a shell:
 * KEY=VALUE lines, blank lines and # comments, an optional "export "
 * prefix, 'single quotes' literal, "double quotes" with \n \" \\ escapes,
 * an unquoted value ending at " #".  A variable the environment already
 * holds is not changed (the environment wins, as with dotenv).  A key no
 * tool of the service reads is warned about, with the closest known key:
 * the known keys are those of .env.example, compiled in (known.h).  Then
 * prog is executed with the same pid.  Writes nothing on stdout (except
 * -l: the known keys, one a line).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logsafe.h"
#include "msg.h"
#include "num.h"
#include "setting.h"
#include "spawnchild.h"

#define USAGE "ingest-env [-lv] [-f env-file] prog [arg ...]"
#define HELP \
	"  -f env-file  read this file (it must exist), not .env.local\n" \
	"  -l           print the known keys, one a line, and exit\n" \
	"  -v           debug: log each variable set (secrets masked)\n"

/* The settings of the service: generated from .env.example. */
static const char *const known[] = {
#include "known.h"
};
#define NKNOWN (sizeof known / sizeof known[0])

static int
is_known(const char *key)
{
	size_t i;

	for (i = 0; i < NKNOWN; i++)
		if (strcmp(known[i], key) == 0)
			return 1;
	return 0;
}

/* Levenshtein distance of a and b, both shorter than 64 bytes. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[64], prev, tmp, best;

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * The known key closest to key, or NULL when none is close enough to be
 * a typo (at most a third of its letters wrong).  Borrowed from known[].
 */
static const char *
closest(const char *key)
{
	const char *best = NULL;
	size_t i, d, bestd = 64;

	for (i = 0; i < NKNOWN; i++) {
		d = distance(key, known[i]);
		if (d < bestd) {
			bestd = d;
			best = known[i];
		}
	}
	return bestd <= (strlen(key) + 2) / 3 ? best : NULL;
}

/* The value as a debug log shows it: secrets masked, URL passwords cut. */
static void
log_set(const char *file, int lineno, const char *key, const char *val)
{
	char safe[LOGSAFE_SIZE(256)], url[512];
	const char *v = val, *at, *scheme;

	if (msg_verbosity < 2)
		return;
	if (strstr(key, "SECRET") || strstr(key, "PASSWORD") ||
	    strstr(key, "TOKEN") || strstr(key, "BASIC_AUTH") ||
	    strstr(key, "PRIVATE")) {
		debug("env-file=%s line=%d %s=(set, not shown)", file, lineno,
		    key);
		return;
	}
	if (strstr(key, "URL") && (scheme = strstr(val, "://")) != NULL &&
	    (at = strchr(scheme, '@')) != NULL &&
	    (size_t)(scheme - val) + 3 < sizeof url) {
		snprintf(url, sizeof url, "%.*s%s", (int)(scheme - val + 3),
		    val, at + 1);
		v = url;
	}
	debug("env-file=%s line=%d %s=%s", file, lineno, key,
	    logsafe_line(v, safe, sizeof safe));
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parse one line (modified in place) into *key and *val, both pointing
 * into line.  Returns 0, 1 for a line that holds nothing, or exits 100
 * naming file and line.
 */
static int
parse_line(char *line, const char *file, int n, char **key, char **val)
{
	char *p = line, *k, *e, *v, *o;
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	if (strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
		p += 6;
		while (is_blank(*p))
			p++;
	}
	if ((e = strchr(p, '=')) == NULL)
		fatal(EXIT_USAGE, "%s:%d: expected KEY=VALUE", file, n);
	k = p;
	v = e + 1;
	while (e > k && is_blank(e[-1]))
		e--;
	*e = '\0';
	if (!(isalpha((unsigned char)*k) || *k == '_'))
		goto badname;
	for (p = k; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			goto badname;
	while (is_blank(*v))
		v++;
	if (*v == '\'') {
		v++;
		if ((e = strchr(v, '\'')) == NULL)
			fatal(EXIT_USAGE, "%s:%d: %s: unterminated single quote",
			    file, n, k);
		*e++ = '\0';
	} else if (*v == '"') {
		for (o = e = ++v; *e && *e != '"'; e++) {
			if (*e == '\\' && e[1] != '\0') {
				e++;
				*o++ = *e == 'n' ? '\n' : *e;
			} else
				*o++ = *e;
		}
		if (*e != '"')
			fatal(EXIT_USAGE, "%s:%d: %s: unterminated double quote",
			    file, n, k);
		*o = '\0';
		e++;
	} else {
		/* Unquoted: a " #" starts a comment; trailing blanks go. */
		for (e = v; *e; e++)
			if (*e == '#' && e > v && is_blank(e[-1]))
				break;
		*e = '\0';
		while (e > v && is_blank(e[-1]))
			*--e = '\0';
		e = NULL;
	}
	if (e != NULL) {	/* after a closing quote: blanks, a comment */
		while (is_blank(*e))
			e++;
		if (*e != '\0' && *e != '#')
			fatal(EXIT_USAGE, "%s:%d: %s: text after the closing "
			    "quote", file, n, k);
	}
	*key = k;
	*val = v;
	return 0;
badname:
	fatal(EXIT_USAGE, "%s:%d: bad variable name: %s", file, n, k);
}

/* Read file into the environment.  Returns the number of keys it set. */
static int
load(const char *file)
{
	FILE *f;
	char *line = NULL, *key, *val, safe[LOGSAFE_SIZE(64)];
	const char *near;
	size_t cap = 0;
	int n = 0, set = 0;

	if ((f = fopen(file, "r")) == NULL)
		fatal_sys(EXIT_USAGE, "cannot read %s", file);
	while (getline(&line, &cap, f) >= 0) {
		n++;
		if (parse_line(line, file, n, &key, &val) != 0)
			continue;
		if (!is_known(key)) {
			logsafe(key, safe, sizeof safe);
			if ((near = closest(key)) != NULL)
				warnx_("%s:%d: unknown setting %s (did you mean "
				    "%s?)", file, n, safe, near);
			else
				warnx_("%s:%d: unknown setting %s (no tool of "
				    "the service reads it)", file, n, safe);
		}
		if (getenv(key) != NULL) {
			debug("env-file=%s line=%d %s=(environment wins)",
			    file, n, key);
			continue;
		}
		if (setenv(key, val, 1) < 0)
			fatal_sys(EXIT_SYSTEM, "setenv %s", key);
		log_set(file, n, key, val);
		set++;
	}
	if (ferror(f))
		fatal_sys(EXIT_SYSTEM, "read %s", file);
	fclose(f);
	free(line);
	return set;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	size_t i;
	int c, list = 0, set;

	msg_init(argv[0]);
	std_options(argc, argv, USAGE, HELP);
	while ((c = getopt(argc, argv, "+f:lv")) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'v':
			msg_verbosity = 2;
			break;
		default:
			usage_exit(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (list) {
		for (i = 0; i < NKNOWN; i++)
			printf("%s\n", known[i]);
		if (fflush(stdout) != 0 || ferror(stdout))
			fatal_sys(EXIT_SYSTEM, "unable to write the list");
		return EXIT_OK;
	}
	if (argc < 1)
		usage_exit(USAGE);
	if (file == NULL)
		file = env_get("INGEST_ENV_FILE");
	if (file == NULL && access(".env.local", F_OK) == 0)
		file = ".env.local";
	if (file != NULL) {
		set = load(file);
		debug("env-file=%s set=%d", file, set);
	}
	execvp(argv[0], argv);
	fatal_sys(spawn_exec_status(errno), "cannot run %s", argv[0]);
}
