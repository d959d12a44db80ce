/*
 * jvx.c - see jvx.h.
 */
#include <math.h>
#include <stdio.h>

#include "jsonget.h"
#include "jvx.h"
#include "logsafe.h"
#include "num.h"

jv
jget(jv o, const char *k)
{
	jv v = json_get(o, k);

	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

int
jint(jv v, long long min, long long max, long long *out)
{
	char tmp[32];
	double d;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		return 0;
	case JV_KIND_STRING:
		return parse_long(jv_string_value(v), min, max, out) < 0 ?
		    -1 : 1;
	case JV_KIND_NUMBER:
		/* Through the one parser, once what it cannot see is out. */
		d = jv_number_value(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 1e18)
			return -1;
		snprintf(tmp, sizeof tmp, "%.0f", d);
		return parse_long(tmp, min, max, out) < 0 ? -1 : 1;
	default:
		return -1;
	}
}

const char *
jshow(jv v, char *buf, size_t size)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		snprintf(buf, size, "(%s)", jv_kind_name(jv_get_kind(v)));
		return buf;
	}
	return logsafe(jv_string_value(v), buf, size);
}

size_t
jdumplen(jv v)
{
	jv s = jv_dump_string(jv_copy(v), 0);
	size_t n = (size_t)jv_string_length_bytes(s);

	return n;
}

jv
jtext(jv o, const char *k, size_t max)
{
	jv v = jget(o, k);
	const char *s;
	size_t i, n;

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		v = jv_dump_string(v, 0);
	if (jv_get_kind(v) != JV_KIND_STRING || jdumplen(v) > max) {
		jv_free(v);
		return jv_invalid();
	}
	s = jv_string_value(v);
	n = (size_t)jv_string_length_bytes(jv_copy(v));
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			jv_free(v);
			return jv_invalid();
		}
	return v;
}
