/*
 * output — hits as NDJSON for programs, or as a short list for people.
 * PostgreSQL marks the matched words in a snippet with \x02 and \x03
 * (characters gazette text never carries: gz-extract drops control
 * characters); they become « » in JSON and plain text, bold on a colour
 * terminal.
 */
#include "search.h"
#include "xalloc.h"

#include <jv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK_START '\x02'
#define MARK_END '\x03'

/* The snippet on one line, its marks as start and end. */
static char *
snippet_text(const char *s, const char *start, const char *end)
{
	size_t n = strlen(s), extra = strlen(start) + strlen(end);
	char *out = xmalloc(n * (extra + 1) + 1), *o = out;
	bool space = false;

	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t' || *s == '\f' ||
		    *s == ' ') {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		if (*s == MARK_START)
			o = stpcpy(o, start);
		else if (*s == MARK_END)
			o = stpcpy(o, end);
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

static jv
string_or_null(const char *s)
{
	return s != NULL ? jv_string(s) : jv_null();
}

static void
print_json(const struct search_hit *h)
{
	char *snippet = snippet_text(h->snippet, "«", "»");
	jv o = jv_object();

	o = jv_object_set(o, jv_string("id"), string_or_null(h->id));
	o = jv_object_set(o, jv_string("file_checksum"), jv_string(h->doc_id));
	o = jv_object_set(o, jv_string("territory_id"),
	    string_or_null(h->territory_id));
	o = jv_object_set(o, jv_string("territory_name"),
	    string_or_null(h->territory_name));
	o = jv_object_set(o, jv_string("state_code"),
	    string_or_null(h->state_code));
	o = jv_object_set(o, jv_string("date"), string_or_null(h->date));
	o = jv_object_set(o, jv_string("rank"), jv_number(h->rank));
	o = jv_object_set(o, jv_string("snippet"), string_or_null(snippet));
	o = jv_object_set(o, jv_string("url"), string_or_null(h->file_url));
	jv_dumpf(o, stdout, 0);
	putchar('\n');
	free(snippet);
}

static void
print_text(const struct search_hit *h, size_t n, bool color)
{
	char *snippet = snippet_text(h->snippet, color ? "\033[1m" : "«",
	    color ? "\033[0m" : "»");

	printf("%3zu  %s  %s (%s) %s  rank %.3g\n", n,
	    h->date ? h->date : "(no date)",
	    h->territory_name ? h->territory_name : "?",
	    h->state_code ? h->state_code : "?",
	    h->territory_id ? h->territory_id : "?", h->rank);
	printf("     %s\n", snippet);
	printf("     %s\n\n", h->file_url ? h->file_url : h->doc_id);
	free(snippet);
}

void
search_print_hit(const struct search_hit *h, size_t n, bool text, bool color)
{
	if (text)
		print_text(h, n, color);
	else
		print_json(h);
}

void
search_print_end(size_t hits, long limit, bool text)
{
	if (!text)
		return;
	if (hits == 0)
		printf("no hits\n");
	else if ((long)hits == limit)
		printf("%zu hits shown, the best; there may be more "
		    "(--limit)\n", hits);
	else
		printf("%zu %s\n", hits, hits == 1 ? "hit" : "hits");
}
