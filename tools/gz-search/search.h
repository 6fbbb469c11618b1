/*
 * gz-search — what its modules share: the options, and a query in the
 * web-search syntax turned into a PostgreSQL tsquery expression.
 */
#ifndef GZ_SEARCH_H
#define GZ_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

enum search_format { FORMAT_AUTO, FORMAT_JSON, FORMAT_TEXT };

struct search_options {
	const char *query;	/* the words, joined by spaces */
	const char *url;	/* postgresql://... or "postgresql:" */
	const char *db;		/* --db, for "postgresql:" */
	const char *index;
	char table[64];
	char *territories;	/* ids and names, one per line, or NULL */
	const char *state;	/* upper case, or NULL */
	const char *since, *until;
	long limit;
	enum search_format format;
};

/* options.c: flags, then the environment; exits 2 on a usage error. */
void search_parse_options(int argc, char **argv, struct search_options *o);

/*
 * query.c: a query as a tsquery expression over text parameters, numbered
 * from the first one given.
 */
struct search_query {
	char *sql;		/* e.g. (plainto_tsquery('cfg', $3) || ...) */
	char **params;
	int nparams;
};
/* 0, or -1 with why (nothing to search for). */
int search_query_build(const char *text, int first_param,
    struct search_query *q, char *why, size_t size);
void search_query_free(struct search_query *q);
/*
 * The singular of a Portuguese plural, or the plural of a singular, in
 * the forms the stemmer does not bring together once accents are gone
 * (licitações / licitação, municipais / municipal, ordens / ordem), for a
 * word of word_len bytes; NULL when the word has no such other form.
 * Allocated.
 */
char *search_number_variant(const char *word, size_t word_len);

/* output.c: one hit. */
struct search_hit {
	const char *doc_id, *id, *territory_id, *territory_name;
	const char *state_code, *date, *file_url, *snippet;
	double rank;
};
void search_print_hit(const struct search_hit *h, size_t n, bool text,
    bool color);
void search_print_end(size_t hits, long limit, bool text);

#endif
