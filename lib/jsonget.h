/*
 * jsonget.h - member lookup in a libjq value that cannot abort.
 *
 * libjq 1.6's jv_object_get() aborts the process when given anything but
 * an object, and input decides what a value is: every tool looks members
 * up through here.
 */
#ifndef JSONGET_H
#define JSONGET_H

#include <jv.h>

/*
 * Member k of o.  Borrows o (the caller still owns it) and returns a new
 * reference: the member, or jv_invalid() when o is not an object or has
 * no member k (as jv_object_get does for a missing key).
 */
jv json_get(jv o, const char *k);

#endif
