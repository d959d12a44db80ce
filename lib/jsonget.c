/*
 * jsonget.c - abort-free member lookup.  See jsonget.h.
 */
#include "jsonget.h"

jv
json_get(jv o, const char *k)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(o), jv_string(k));
}
