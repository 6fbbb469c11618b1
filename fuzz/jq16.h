/*
 * jq16 — recognise the input that makes Debian 12's libjq 1.6 leak.
 *
 * jq 1.6's parser drops a string it has just read when the string follows
 * another value with no separator ({"a" "b"}, ["a" "b"], 1 "b"): value()
 * returns "Expected separator between values" without freeing it.  That is
 * libjq's bug, not gz's, and LeakSanitizer would report it on nearly every
 * run.  Suppressing leaks from libjq's allocator would also hide every jv
 * that gz itself forgets to free, so the targets skip such inputs instead.
 *
 * A plain scan: outside strings, after a value (a string, a number or
 * literal, or a closing bracket) and before the next , : [ {, a quote means
 * the leak.  With by_line each line is a separate JSON text, as the
 * NDJSON reader parses it.
 */
#ifndef GZ_FUZZ_JQ16_H
#define GZ_FUZZ_JQ16_H

#include <stdbool.h>
#include <stddef.h>

static bool
jq16_parser_leaks(const char *s, size_t len, bool by_line)
{
	bool in_string = false, escaped = false, after_value = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (by_line && c == '\n') {
			in_string = escaped = after_value = false;
			continue;
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"') {
				in_string = false;
				after_value = true;
			}
			continue;
		}
		switch (c) {
		case '"':
			if (after_value)
				return true;
			in_string = true;
			break;
		case ',': case ':': case '[': case '{':
			after_value = false;
			break;
		case ' ': case '\t': case '\r': case '\n':
			break;
		default:
			/* ] } a digit, a letter: the end of a value, or junk
			 * that ends the parse anyway. */
			after_value = true;
			break;
		}
	}
	return false;
}

#endif
