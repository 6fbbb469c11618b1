/*
 * dbarray — PostgreSQL array literals ({1,2,3}, {"a","b",NULL}) to pass
 * as one text parameter ($1::bigint[], $2::text[]): one parameter whatever
 * the list's length, and no SQL built from values.
 *
 * Text elements are always double-quoted with \ and " escaped, so commas,
 * braces, quotes and the word NULL inside a value stay inside it.
 */
#ifndef GZ_DBARRAY_H
#define GZ_DBARRAY_H

#include <stddef.h>

struct db_array {
	char *text;		/* "{...}", always a complete literal */
	size_t len, cap;
	size_t n;		/* elements so far */
};

#define DB_ARRAY_INIT { NULL, 0, 0, 0 }

void db_array_add_int(struct db_array *a, long long v);
/* A quoted element, or NULL (the SQL null) when s is NULL. */
void db_array_add_text(struct db_array *a, const char *s);
/* The literal ("{}" when empty), handed to the caller to free; a is
 * empty again after. */
char *db_array_take(struct db_array *a);
void db_array_free(struct db_array *a);

#endif
