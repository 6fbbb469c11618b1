/*
 * dbarray — see dbarray.h.
 */
#include "dbarray.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and the closing brace and NUL. */
static void
reserve(struct db_array *a, size_t n)
{
	if (a->text == NULL) {
		a->cap = 64;
		a->text = xmalloc(a->cap);
		memcpy(a->text, "{}", 3);
		a->len = 1;	/* the closing brace is rewritten by each add */
	}
	if (a->len + n + 2 > a->cap) {
		a->cap = (a->len + n + 2) * 2;
		a->text = xrealloc(a->text, a->cap);
	}
}

static void
put(struct db_array *a, const char *s, size_t n)
{
	memcpy(a->text + a->len, s, n);
	a->len += n;
}

/* Starts an element of at most n bytes: the comma before all but the first. */
static void
begin(struct db_array *a, size_t n)
{
	reserve(a, n + 1);
	if (a->n++ > 0)
		put(a, ",", 1);
}

static void
end(struct db_array *a)
{
	memcpy(a->text + a->len, "}", 2);
}

void
db_array_add_int(struct db_array *a, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", v);

	begin(a, (size_t)n);
	put(a, num, (size_t)n);
	end(a);
}

void
db_array_add_text(struct db_array *a, const char *s)
{
	const char *p;

	if (s == NULL) {
		begin(a, 4);
		put(a, "NULL", 4);
		end(a);
		return;
	}
	begin(a, 2 * strlen(s) + 2);
	put(a, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			put(a, "\\", 1);
		put(a, p, 1);
	}
	put(a, "\"", 1);
	end(a);
}

char *
db_array_take(struct db_array *a)
{
	char *text;

	reserve(a, 0);
	end(a);
	text = a->text;
	*a = (struct db_array)DB_ARRAY_INIT;
	return text;
}

void
db_array_free(struct db_array *a)
{
	free(a->text);
	*a = (struct db_array)DB_ARRAY_INIT;
}
