/*
 * cidr.c - address allow-lists.  See cidr.h.
 */
#include <ctype.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "num.h"

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Do the first bits bits of a and b agree? */
static int
prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* Are all bits after the first bits of a (len bytes) zero? */
static int
host_bits_clear(const uint8_t *a, size_t len, int bits)
{
	size_t i = (size_t)bits / 8;

	if (bits % 8 && (a[i++] & (0xff >> (bits % 8))) != 0)
		return 0;
	for (; i < len; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

/*
 * Copy s (n bytes, borrowed) without its surrounding blanks into text as
 * a string.  -1 when nothing is left or it does not fit.
 */
static int
trimmed_copy(const char *s, size_t n, char *text, size_t size)
{
	while (n > 0 && blank(*s))
		s++, n--;
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n == 0 || n >= size)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	return 0;
}

int
cidr_parse(const char *s, size_t n, struct cidr *out)
{
	char text[INET6_ADDRSTRLEN + 8], *slash;
	struct cidr c;
	long long bits;
	int max;

	if (trimmed_copy(s, n, text, sizeof text) < 0)
		return -1;
	if ((slash = strchr(text, '/')) != NULL)
		*slash++ = '\0';
	memset(&c, 0, sizeof c);
	if (inet_pton(AF_INET, text, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash && parse_long(slash, 0, max, &bits) < 0)
		return -1;
	c.bits = (int)bits;
	if (!host_bits_clear(c.addr, c.family == AF_INET ? 4 : 16, c.bits))
		return -1;
	/* ::ffff:a.b.c.d/96+n is the IPv4 entry a.b.c.d/n. */
	if (c.family == AF_INET6 && c.bits >= 96 &&
	    memcmp(c.addr, v4mapped, sizeof v4mapped) == 0) {
		memmove(c.addr, c.addr + 12, 4);
		memset(c.addr + 4, 0, 12);
		c.family = AF_INET;
		c.bits -= 96;
	}
	*out = c;
	return 0;
}

int
cidr_list_parse(const char *s, struct cidr_list *list, int tenants,
    char *err, size_t errlen)
{
	const char *p, *end, *eq;
	struct cidr *v = NULL, *nv;
	char (*t)[TENANT_MAX + 1] = NULL, (*nt)[TENANT_MAX + 1];
	size_t n = 0, cap = 0, len, alen;

	memset(list, 0, sizeof *list);
	for (p = s; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len > 0 && blank(*p))
			p++, len--;
		while (len > 0 && blank(p[len - 1]))
			len--;
		if (len == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof *v);
			if (nv != NULL)
				v = nv;
			nt = realloc(t, cap * sizeof *t);
			if (nt != NULL)
				t = nt;
			if (nv == NULL || nt == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
		t[n][0] = '\0';
		alen = len;
		if ((eq = memchr(p, '=', len)) != NULL) {
			const char *tn = eq + 1;
			size_t tl = len - (size_t)(tn - p);

			alen = (size_t)(eq - p);
			while (tl > 0 && blank(*tn))
				tn++, tl--;
			if (!tenants || !tenant_ok(tn, tl)) {
				snprintf(err, errlen, "bad entry '%.*s'%s",
				    (int)(len > 64 ? 64 : len), p, tenants ?
				    " (tenant: 1-127 of A-Z a-z 0-9 . _ -)" :
				    " (no tenant here)");
				goto fail;
			}
			memcpy(t[n], tn, tl);
			t[n][tl] = '\0';
		}
		if (cidr_parse(p, alen, &v[n]) < 0) {
			snprintf(err, errlen, "bad entry '%.*s'",
			    (int)(len > 64 ? 64 : len), p);
			goto fail;
		}
		n++;
	}
	list->v = v;
	list->tenant = t;
	list->n = n;
	return 0;
fail:
	free(v);
	free(t);
	return -1;
}

int
tenant_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > TENANT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '.' &&
		    t[i] != '_' && t[i] != '-')
			return 0;
	return 1;
}

void
cidr_list_free(struct cidr_list *list)
{
	free(list->v);
	free(list->tenant);
	list->v = NULL;
	list->tenant = NULL;
	list->n = 0;
}

/*
 * The peer as (family, 16-byte address), with an IPv4-mapped IPv6 peer
 * turned into the IPv4 address it is.  -1 for other families.
 */
static int
peer_addr(const struct sockaddr *sa, uint8_t addr[16])
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		memcpy(addr, &s4->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
			memcpy(addr, s6->sin6_addr.s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(addr, s6->sin6_addr.s6_addr, 16);
		return AF_INET6;
	}
	return -1;
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	uint8_t addr[16];

	if (peer_addr(sa, addr) != c->family)
		return 0;
	return prefix_equal(addr, c->addr, c->bits);
}

long
cidr_list_match(const struct cidr_list *list, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int fam;
	size_t i;

	if ((fam = peer_addr(sa, addr)) < 0)
		return -1;
	for (i = 0; i < list->n; i++)
		if (list->v[i].family == fam &&
		    prefix_equal(addr, list->v[i].addr, list->v[i].bits))
			return (long)i;
	return -1;
}

int
addr_parse(const char *s, size_t n, struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN + 8], *port = NULL, *end;
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	const char *addr = text;
	long long p;

	if (trimmed_copy(s, n, text, sizeof text) < 0)
		return -1;
	if (text[0] == '[') {			/* [v6] or [v6]:port */
		if ((end = strchr(text, ']')) == NULL)
			return -1;
		*end = '\0';
		addr = text + 1;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((end = strchr(text, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {	/* v4:port (one colon) */
		*end = '\0';
		port = end + 1;
	}
	if (port && parse_long(port, 0, 65535, &p) < 0)
		return -1;
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		if (addr != text)	/* "[192.0.2.1]" is not a form */
			return -1;
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

void
cidr_format(const struct cidr *c, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, a, sizeof a) == NULL)
		snprintf(a, sizeof a, "?");
	snprintf(out, len, "%s/%d", a, c->bits);
}
