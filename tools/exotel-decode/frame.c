/*
 * frame.c - messages across lines.  See frame.h.
 */
#include "frame.h"

void
frame_reset(struct frame *f)
{
	f->depth = 0;
	f->begun = 0;
}

int
frame_line(struct frame *f, const char *p, size_t n)
{
	int instr = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				instr = 0;
			continue;
		}
		switch (p[i]) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			continue;
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			f->depth++;
			break;
		case '}':
		case ']':
			f->depth--;
			break;
		default:
			break;
		}
		if (!f->begun && f->depth == 0)
			return 1;	/* a scalar or a stray closer: a line */
		f->begun = 1;
	}
	return f->begun && f->depth <= 0;
}
