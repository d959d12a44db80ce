/*
 * cidr.h - address allow-lists: "10.0.0.0/8, 2001:db8::/32, 203.0.113.7"
 * parsed once at start-up, matched against each peer at the upgrade.
 * A bare address is a host entry (/32 or /128).  IPv4 entries also match
 * IPv4-mapped IPv6 peers (::ffff:a.b.c.d, what a dual-stack listener
 * reports for an IPv4 client), and a ::ffff:a.b.c.d/96+n entry is stored
 * as the IPv4 entry it means, so one list serves both socket families.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network address, host bits cleared */
	int bits;		/* prefix length: 0..32 or 0..128 */
};

/* Longest tenant an allow-list entry or a Basic pair can be bound to. */
#define TENANT_MAX 127

struct cidr_list {
	struct cidr *v;		/* owned by the list; free with cidr_list_free */
	char (*tenant)[TENANT_MAX + 1];	/* owned; per entry, "" when unbound */
	size_t n;
};

/*
 * Is t (n bytes) a tenant name: 1..TENANT_MAX of [A-Za-z0-9._-]?  (It goes
 * to handlers as TENANT_ID and into Redis keys.)
 */
int tenant_ok(const char *t, size_t n);

/*
 * Parse one entry (s borrowed, n bytes, surrounding blanks ignored).
 * Host bits set under the prefix ("10.1.2.3/8") are refused: such an
 * entry is almost always a typo.  0 on success, -1 on a bad entry.
 */
int cidr_parse(const char *s, size_t n, struct cidr *out);

/*
 * Parse a comma-separated list (s borrowed; empty items are skipped).
 * An entry may be bound to a tenant, "10.0.0.0/8=tenantA" (tenant_ok);
 * with tenants == 0 such an entry is refused (TRUSTED_PROXIES).
 * On success fills *list (caller frees with cidr_list_free) and returns 0;
 * on a bad entry writes "bad entry 'text'" into err and returns -1.
 */
int cidr_list_parse(const char *s, struct cidr_list *list, int tenants,
    char *err, size_t errlen);
void cidr_list_free(struct cidr_list *list);

/* Does entry c contain the address sa (borrowed)?  1 or 0. */
int cidr_match(const struct cidr *c, const struct sockaddr *sa);

/*
 * Index of the first entry of list containing sa, or -1.  Other socket
 * families (AF_UNIX) never match.
 */
long cidr_list_match(const struct cidr_list *list, const struct sockaddr *sa);

/*
 * Parse one address as proxies write it in X-Forwarded-For: "192.0.2.1",
 * "192.0.2.1:443", "2001:db8::1" or "[2001:db8::1]:443" (s borrowed, n
 * bytes, blanks around ignored; the port is checked and dropped).  Fills
 * *out (port 0) and returns 0, or returns -1.
 */
int addr_parse(const char *s, size_t n, struct sockaddr_storage *out);

/* The entry in its canonical text form ("10.0.0.0/8"), into out. */
void cidr_format(const struct cidr *c, char *out, size_t len);

#endif
