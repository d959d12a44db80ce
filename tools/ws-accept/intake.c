/*
 * intake.c - the running totals of the pipelines' metrics (intake.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

struct series {
	char key[METRICS_LINE_MAX];	/* name{labels} */
	char family[METRICS_LINE_MAX];	/* the # TYPE name */
	int type;			/* 0 untyped, 1 counter, 2 histogram */
	double v;
};

static struct series *table;	/* owned; nseries used, sorted by key */
static size_t nseries;
unsigned long long intake_refused[2];

static int
name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

static int
label_name_char(char c, int first)
{
	return name_char(c, first) || (c >= 'A' && c <= 'Z');
}

/* Length of a well-formed {labels} at s (n bytes), or 0. */
static size_t
labels_len(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 2 || s[0] != '{')
		return 0;
	if (s[1] == '}')
		return 2;
	for (;;) {
		size_t start = i;

		while (i < n && label_name_char(s[i], i == start))
			i++;
		if (i == start || i + 1 >= n || s[i] != '=' || s[i + 1] != '"')
			return 0;
		for (i += 2; i < n && s[i] != '"'; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			if (s[i] == '\\') {
				if (i + 1 >= n || (s[i + 1] != '\\' &&
				    s[i + 1] != '"' && s[i + 1] != 'n'))
					return 0;
				i++;
			}
		}
		if (i >= n)
			return 0;
		i++;		/* the closing quote */
		if (i < n && s[i] == '}')
			return i + 1;
		if (i >= n || s[i] != ',')
			return 0;
		i++;
	}
}

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->key,
	    ((const struct series *)b)->key);
}

int
intake_line(const char *line, size_t n)
{
	char key[METRICS_LINE_MAX], num[64], *end;
	struct series probe, *s, *nt;
	size_t i = 0, nl, ll = 0;
	double v;

	while (i < n && name_char(line[i], i == 0))
		i++;
	nl = i;
	/* ws-accept's own families are not the pipelines' to add to. */
	if (nl == 0 || nl >= sizeof key / 2 ||
	    (nl >= 10 && !memcmp(line, "ws_accept_", 10)) ||
	    (nl == 17 && !memcmp(line, "ingest_build_info", 17)))
		goto bad;
	if (i < n && line[i] == '{' && (ll = labels_len(line + i, n - i)) == 0)
		goto bad;
	i += ll;
	if (i >= n || line[i] != ' ' || nl + ll >= sizeof key)
		goto bad;
	i++;
	if (n - i == 0 || n - i >= sizeof num)
		goto bad;
	memcpy(num, line + i, n - i);
	num[n - i] = '\0';
	v = strtod(num, &end);
	if (*end != '\0' || !isfinite(v) || v < 0 || num[0] == ' ')
		goto bad;
	memcpy(key, line, nl + ll);
	key[nl + ll] = '\0';

	memcpy(probe.key, key, nl + ll + 1);
	s = nseries ? bsearch(&probe, table, nseries, sizeof *table,
	    cmp_key) : NULL;
	if (s == NULL) {
		if (nseries >= INTAKE_SERIES_MAX) {
			intake_refused[1]++;
			return -1;
		}
		if ((nt = realloc(table, (nseries + 1) * sizeof *nt)) == NULL) {
			intake_refused[1]++;
			return -1;
		}
		table = nt;
		s = &table[nseries++];
		memset(s, 0, sizeof *s);
		memcpy(s->key, key, nl + ll + 1);
		memcpy(s->family, line, nl);
		s->family[nl] = '\0';
		if (ends_with(line, nl, "_total"))
			s->type = 1;
		qsort(table, nseries, sizeof *table, cmp_key);
		s = bsearch(&probe, table, nseries, sizeof *table, cmp_key);
	}
	s->v += v;
	return 0;
bad:
	intake_refused[0]++;
	return -1;
}

/* The histogram base of family f (_bucket/_sum/_count) into base, or 0. */
static int
histogram_base(const char *f, char *base, size_t len)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(f), k, i, j;

	for (i = 0; i < 3; i++) {
		k = strlen(sfx[i]);
		if (n <= k || strcmp(f + n - k, sfx[i]))
			continue;
		snprintf(base, len, "%.*s", (int)(n - k), f);
		/* A histogram only when its buckets are there. */
		for (j = 0; j < nseries; j++)
			if (!strncmp(table[j].family, base, n - k) &&
			    !strcmp(table[j].family + n - k, "_bucket"))
				return 1;
	}
	return 0;
}

static void
put(char *out, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= len)
		return;
	memcpy(out + *off, s, n + 1);
	*off += n;
}

void
intake_render(char *out, size_t len, size_t *off)
{
	char (*base)[METRICS_LINE_MAX], line[2 * METRICS_LINE_MAX + 128];
	unsigned char *hist, *shown;
	size_t i, j;

	if (nseries == 0)
		return;
	base = calloc(nseries, sizeof *base);
	hist = calloc(nseries, 1);
	shown = calloc(nseries, 1);
	if (base == NULL || hist == NULL || shown == NULL)
		goto out;
	for (i = 0; i < nseries; i++)
		if (!(hist[i] = (unsigned char)histogram_base(table[i].family,
		    base[i], sizeof base[i])))
			snprintf(base[i], sizeof base[i], "%s", table[i].family);
	/* Family by family, each once, its series together. */
	for (i = 0; i < nseries; i++) {
		if (shown[i])
			continue;
		snprintf(line, sizeof line, "# HELP %s Added up from the call "
		    "pipelines (METRICS_FD).\n# TYPE %s %s\n", base[i], base[i],
		    hist[i] ? "histogram" : table[i].type == 1 ? "counter" :
		    "untyped");
		put(out, len, off, line);
		for (j = i; j < nseries; j++) {
			if (shown[j] || strcmp(base[j], base[i]))
				continue;
			shown[j] = 1;
			snprintf(line, sizeof line, "%s %.17g\n", table[j].key,
			    table[j].v);
			put(out, len, off, line);
		}
	}
out:
	free(base);
	free(hist);
	free(shown);
}

void
intake_reset(void)
{
	free(table);
	table = NULL;
	nseries = 0;
	intake_refused[0] = intake_refused[1] = 0;
}
