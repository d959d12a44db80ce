/*
 * jsonscan.h - a JSON grammar checker that builds nothing: spans into the
 * text and a reason when the text is not JSON.  The fast media path reads
 * its fields with it, and every other message is checked with it before
 * libjq sees it (libjq 1.6 leaks the value it was building when it meets
 * some syntax errors, e.g. two values without a comma: fed only valid
 * JSON, it never takes those paths).
 */
#ifndef JSONSCAN_H
#define JSONSCAN_H

#include <stddef.h>

#define JS_MAXDEPTH 256		/* libjq's own nesting limit */

struct jscan {
	char *p, *e;		/* borrowed: the text not yet read */
	const char *why;	/* static text, set when a check fails */
};

/* String modes: any JSON string; plain (no escapes, ASCII); payload. */
enum { JS_ANY, JS_PLAIN, JS_PAYLOAD };

void js_ws(struct jscan *s);
/*
 * The string at s->p (which is a '"').  JS_PAYLOAD allows only the "\/"
 * escape.  Sets *b, *len to the raw content (borrowed) and *esc when it
 * held an escape.  0, or -1 with s->why.
 */
int js_string(struct jscan *s, int mode, char **b, size_t *len, int *esc);
/* A number; *isint when it is a plain unsigned integer.  0 or -1. */
int js_number(struct jscan *s, int *isint);
/* Any value, nested at most maxdepth - depth deeper.  0 or -1. */
int js_value(struct jscan *s, int depth, int maxdepth);

/*
 * Whether p (n bytes, borrowed) is one JSON value with only whitespace
 * around it.  Returns its first character ('{' for an object), or -1
 * with *why (static text) saying what is wrong.
 */
int json_check(char *p, size_t n, const char **why);

#endif
