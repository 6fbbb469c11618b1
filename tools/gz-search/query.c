/*
 * query — the web-search syntax people already type (PostgreSQL's
 * websearch_to_tsquery reads the same): words must all appear, "quoted
 * words" must appear together in that order, -word must not appear, and
 * "or" between two parts accepts either.  Each word is found in any of
 * its forms: accents are ignored and Portuguese stems compared (the
 * gz_portuguese configuration), and, since stems of unaccented words
 * differ between singular and plural in a few endings, each word is also
 * looked for in its other number (search_number_variant).
 *
 * The expression is built from plainto_tsquery and phraseto_tsquery over
 * text parameters joined by the tsquery operators, so no part of the query
 * is ever spliced into the SQL.
 */
#include "search.h"
#include "pgdocs.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TERMS 32

struct term {
	const char *text;
	size_t len;
	bool phrase, negated, or_before;
};

/*
 * The word in lower case with ã, õ and é (either case) as a, o and e:
 * enough for the endings search_number_variant looks at.
 */
static char *
fold(const char *word, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)word[i], next;

		next = i + 1 < len ? (unsigned char)word[i + 1] : 0;
		if (c == 0xc3 && (next == 0xa3 || next == 0x83)) {
			*o++ = 'a', i++;
		} else if (c == 0xc3 && (next == 0xb5 || next == 0x95)) {
			*o++ = 'o', i++;
		} else if (c == 0xc3 && (next == 0xa9 || next == 0x89)) {
			*o++ = 'e', i++;
		} else {
			*o++ = (char)tolower(c);
		}
	}
	*o = '\0';
	return out;
}

char *
search_number_variant(const char *word, size_t word_len)
{
	static const char *rules[][2] = {
		{ "oes", "ao" }, { "aes", "ao" }, { "ao", "oes" },
		{ "ais", "al" }, { "eis", "el" }, { "ois", "ol" },
		{ "al", "ais" }, { "el", "eis" }, { "ol", "ois" },
		{ "ns", "m" }, { "m", "ns" }
	};
	char *w = fold(word, word_len), *out;
	size_t i, n, from;

	if ((n = strlen(w)) < 4) {
		free(w);
		return NULL;
	}
	for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		from = strlen(rules[i][0]);
		if (strcmp(w + n - from, rules[i][0]) != 0)
			continue;
		out = xmalloc(n - from + strlen(rules[i][1]) + 1);
		snprintf(out, n - from + strlen(rules[i][1]) + 1, "%.*s%s",
		    (int)(n - from), w, rules[i][1]);
		free(w);
		return out;
	}
	free(w);
	return NULL;
}

/* The phrase with each word in its other number; NULL when none has one. */
static char *
phrase_variant(const char *p, size_t len)
{
	char *out = xmalloc(3 * len + 8), *o = out, *v;
	bool changed = false;
	size_t i = 0, start;

	while (i < len) {
		if (isspace((unsigned char)p[i])) {
			*o++ = p[i++];
			continue;
		}
		for (start = i; i < len && !isspace((unsigned char)p[i]); i++)
			;
		v = search_number_variant(p + start, i - start);
		if (v != NULL) {
			o = stpcpy(o, v);
			changed = true;
			free(v);
		} else {
			memcpy(o, p + start, i - start);
			o += i - start;
		}
	}
	*o = '\0';
	if (!changed) {
		free(out);
		return NULL;
	}
	return out;
}

/* Splits text into terms; returns how many, or -1 with why. */
static int
tokenize(const char *text, struct term *terms, char *why, size_t size)
{
	const char *p = text;
	bool or_pending = false;
	int n = 0;

	for (;;) {
		struct term t = { 0 };

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p == '-' && p[1] != '\0' && !isspace((unsigned char)p[1]))
			t.negated = true, p++;
		if (*p == '"') {
			const char *end = strchr(++p, '"');

			t.phrase = true;
			t.text = p;
			t.len = end != NULL ? (size_t)(end - p) : strlen(p);
			p += t.len + (end != NULL);
		} else {
			t.text = p;
			while (*p != '\0' && *p != '"' &&
			    !isspace((unsigned char)*p))
				p++;
			t.len = (size_t)(p - t.text);
		}
		if (!t.phrase && !t.negated && t.len == 2 &&
		    strncasecmp(t.text, "or", 2) == 0) {
			/* "or" joins what stands on both sides of it. */
			or_pending = n > 0;
			continue;
		}
		if (n == MAX_TERMS) {
			snprintf(why, size, "the query has more than %d terms",
			    MAX_TERMS);
			return -1;
		}
		t.or_before = or_pending;
		or_pending = false;
		terms[n++] = t;
	}
	return n;
}

static void
add_param(struct search_query *q, char *value)
{
	q->params = xrealloc(q->params, (size_t)(q->nparams + 1) *
	    sizeof *q->params);
	q->params[q->nparams++] = value;
}

/* Appends piece to the expression. */
static void
append(char **sql, size_t *len, const char *piece)
{
	size_t n = strlen(piece);

	*sql = xrealloc(*sql, *len + n + 1);
	memcpy(*sql + *len, piece, n + 1);
	*len += n;
}

/* One term as a tsquery: its text, or its text or its variant. */
static void
add_term(struct search_query *q, const struct term *t, int first,
    size_t *len)
{
	const char *fn = t->phrase ? "phraseto_tsquery" : "plainto_tsquery";
	const char *not = t->negated ? "!!" : "";
	char *variant = t->phrase ? phrase_variant(t->text, t->len) :
	    search_number_variant(t->text, t->len);
	char piece[192];
	int at = first + q->nparams;

	add_param(q, xstrndup(t->text, t->len));
	if (variant == NULL) {
		snprintf(piece, sizeof piece, "%s%s('%s', $%d)", not, fn,
		    PGDOCS_CONFIG, at);
	} else {
		add_param(q, variant);
		snprintf(piece, sizeof piece, "%s(%s('%s', $%d) || "
		    "%s('%s', $%d))", not, fn, PGDOCS_CONFIG, at, fn,
		    PGDOCS_CONFIG, at + 1);
	}
	append(&q->sql, len, piece);
}

int
search_query_build(const char *text, int first_param, struct search_query *q,
    char *why, size_t size)
{
	struct term terms[MAX_TERMS];
	size_t len = 0;
	int n, i;

	memset(q, 0, sizeof *q);
	if ((n = tokenize(text, terms, why, size)) < 0)
		return -1;
	if (n == 0) {
		snprintf(why, size, "the query has no words to search for");
		return -1;
	}
	/* ((a && b) || (c)): "or" binds looser than the words around it. */
	append(&q->sql, &len, "((");
	for (i = 0; i < n; i++) {
		const char *join = i == 0 ? "" : terms[i].or_before ?
		    ") || (" : " && ";

		append(&q->sql, &len, join);
		add_term(q, &terms[i], first_param, &len);
	}
	append(&q->sql, &len, "))");
	return 0;
}

void
search_query_free(struct search_query *q)
{
	int i;

	for (i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	memset(q, 0, sizeof *q);
}
