/*
 * Fuzz target: gz-index's reading of OpenSearch answers
 * (tools/gz-index/response.c), linked on its own: it needs only libjq.
 *
 * Input layout: byte 0 is the number of documents the batch held (the
 * items the answer must have), byte 1 picks an HTTP status; the rest is the
 * body, given to response_items as a bulk answer and to response_error as a
 * failed request's body.  The body is copied to a buffer of its exact size,
 * without a terminating NUL, as libcurl hands it over, so ASan sees any read
 * past its end.  Input that makes libjq 1.6 itself leak is skipped (see
 * jq16.h).
 */
#include "response.h"
#include "jq16.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const long statuses[] = { 200, 400, 401, 403, 404, 413, 429, 500,
    502, 503, 0, -1 };

static void
check_string(const char *s, size_t size, const char *what)
{
	if (memchr(s, '\0', size) == NULL) {
		fprintf(stderr, "response fuzz: %s not terminated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct item_result items[32];
	char why[200], type[96], reason[400];
	size_t n, i;
	long status;
	char *body;

	if (size < 2)
		return 0;
	n = data[0] % 32;
	status = statuses[data[1] % (sizeof statuses / sizeof statuses[0])];
	data += 2;
	size -= 2;
	if (jq16_parser_leaks((const char *)data, size, false))
		return 0;
	if ((body = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);

	why[0] = '\0';
	if (response_items(body, size, items, n, why, sizeof why)) {
		for (i = 0; i < n; i++) {
			check_string(items[i].id, sizeof items[i].id, "_id");
			check_string(items[i].result, sizeof items[i].result,
			    "result");
			if (items[i].status < 200 || items[i].status > 299) {
				check_string(items[i].type,
				    sizeof items[i].type, "type");
				check_string(items[i].reason,
				    sizeof items[i].reason, "reason");
				if (items[i].type[0] == '\0' ||
				    items[i].reason[0] == '\0') {
					fprintf(stderr, "response fuzz: item "
					    "failed without type or reason\n");
					abort();
				}
			}
		}
	} else if (why[0] == '\0') {
		fprintf(stderr, "response fuzz: rejected without a reason\n");
		abort();
	}

	response_error(body, size, status, type, sizeof type, reason,
	    sizeof reason);
	check_string(type, sizeof type, "type");
	check_string(reason, sizeof reason, "reason");
	if (type[0] == '\0' || reason[0] == '\0') {
		fprintf(stderr, "response fuzz: error without type or reason\n");
		abort();
	}
	free(body);
	return 0;
}
