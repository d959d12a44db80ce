/*
 * fuzz/cidr.c - libFuzzer target: ws-accept's allow-list parser.  The
 * input is an EXOTEL_ALLOW_IPS / TRUSTED_PROXIES value; every entry that
 * parses must format back to an entry that parses to the same network,
 * and matching it against a few addresses must not crash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_list list;
	struct cidr back;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	char err[256], text[128], *s;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&in4, 0, sizeof in4);
	in4.sin_family = AF_INET;
	in4.sin_addr.s_addr = htonl(0x0a000001);
	memset(&in6, 0, sizeof in6);
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr);
	if (cidr_list_parse(s, &list, 1, err, sizeof err) == 0) {
		for (i = 0; i < list.n; i++) {
			cidr_format(&list.v[i], text, sizeof text);
			if (cidr_parse(text, strlen(text), &back) < 0 ||
			    back.family != list.v[i].family ||
			    back.bits != list.v[i].bits ||
			    memcmp(back.addr, list.v[i].addr, 16))
				abort();
		}
		cidr_list_match(&list, (struct sockaddr *)&in4);
		cidr_list_match(&list, (struct sockaddr *)&in6);
		cidr_list_free(&list);
	}
	/* The single-entry parsers on the raw bytes, NULs included. */
	{
		struct cidr c;
		struct sockaddr_storage ss;

		cidr_parse((const char *)data, size, &c);
		addr_parse((const char *)data, size, &ss);
	}
	free(s);
	return 0;
}
