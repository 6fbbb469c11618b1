/*
 * response — reading what OpenSearch answered: the items of a _bulk
 * answer, or the error of a refused request.  Pure: no state, no I/O.
 */
#ifndef GZ_INDEX_RESPONSE_H
#define GZ_INDEX_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

struct item_result {
	int status;
	char id[256];
	char result[16];
	char type[96];
	char reason[400];
};
/* Reads every item of a bulk response; false when it is not one for n docs. */
bool response_items(const char *body, size_t len, struct item_result *items,
    size_t n, char *why, size_t size);
/* The error type and reason of a request-level failure body (any shape). */
void response_error(const char *body, size_t len, long status, char *type,
    size_t tsize, char *reason, size_t rsize);

#endif
