/*
 * response — reading what OpenSearch answered (OpenSearch's _bulk API).
 *
 * A bulk response is HTTP 200 even when every item failed, so every item is
 * read.  Items come in request order, keyed by the op name.  Only status and
 * error.type are relied on: failed items lack _version and result, _id may
 * be null, and newer versions add fields, which are ignored.
 */
#include "response.h"

#include <jv.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Copies the string (or number) field key of obj into buf; borrows obj. */
static void
copy_field(jv obj, const char *key, char *buf, size_t size)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));

	buf[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(buf, size, "%s", jv_string_value(v));
	else if (jv_get_kind(v) == JV_KIND_NUMBER)
		snprintf(buf, size, "%.17g", jv_number_value(v));
	jv_free(v);
}

/* error.type and error.reason of an item or a request, whatever the shape. */
static void
copy_error(jv err, long status, char *type, size_t tsize, char *reason,
    size_t rsize)
{
	if (jv_get_kind(err) == JV_KIND_OBJECT) {
		copy_field(err, "type", type, tsize);
		copy_field(err, "reason", reason, rsize);
	} else if (jv_get_kind(err) == JV_KIND_STRING) {
		snprintf(reason, rsize, "%s", jv_string_value(err));
		type[0] = '\0';
	}
	if (type[0] == '\0')
		snprintf(type, tsize, "http_%ld", status);
	if (reason[0] == '\0')
		snprintf(reason, rsize, "HTTP %ld", status);
	jv_free(err);
}

/* One element of "items": {"index": {...}}.  Consumes el. */
static bool
read_item(jv el, struct item_result *it)
{
	jv keys, body, status;
	bool ok = false;

	memset(it, 0, sizeof *it);
	if (jv_get_kind(el) != JV_KIND_OBJECT ||
	    jv_object_length(jv_copy(el)) != 1) {
		jv_free(el);
		return false;
	}
	keys = jv_keys(jv_copy(el));
	body = jv_object_get(el, jv_array_get(keys, 0));
	/* jv_object_get asserts an object: {"index": 3} would abort. */
	status = jv_get_kind(body) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(body), jv_string("status")) : jv_invalid();
	/* Range first: converting 1e300 (or NaN) to int is undefined. */
	if (jv_get_kind(body) == JV_KIND_OBJECT &&
	    jv_get_kind(status) == JV_KIND_NUMBER &&
	    jv_number_value(status) >= 100 && jv_number_value(status) < 600) {
		it->status = (int)jv_number_value(status);
		copy_field(body, "_id", it->id, sizeof it->id);
		copy_field(body, "result", it->result, sizeof it->result);
		if (it->status < 200 || it->status > 299)
			copy_error(jv_object_get(jv_copy(body),
			    jv_string("error")), it->status, it->type,
			    sizeof it->type, it->reason, sizeof it->reason);
		ok = true;
	}
	jv_free(status);
	jv_free(body);
	return ok;
}

bool
response_items(const char *body, size_t len, struct item_result *items,
    size_t n, char *why, size_t size)
{
	jv resp, list;
	size_t i;
	bool ok = true;

	if (len == 0 || len > INT_MAX) {
		snprintf(why, size, "the response has %zu bytes", len);
		return false;
	}
	resp = jv_parse_sized(body, (int)len);
	if (jv_get_kind(resp) != JV_KIND_OBJECT) {
		snprintf(why, size, "the response is not a JSON object");
		jv_free(resp);
		return false;
	}
	list = jv_object_get(resp, jv_string("items"));
	if (jv_get_kind(list) != JV_KIND_ARRAY ||
	    (size_t)jv_array_length(jv_copy(list)) != n) {
		snprintf(why, size, "the response does not hold %zu items", n);
		jv_free(list);
		return false;
	}
	for (i = 0; i < n && ok; i++)
		if (!(ok = read_item(jv_array_get(jv_copy(list), (int)i),
		    &items[i])))
			snprintf(why, size, "item %zu has no status", i + 1);
	jv_free(list);
	return ok;
}

/* The first line of a non-JSON body (a proxy's HTML, "Unauthorized"). */
static void
first_line(const char *body, size_t len, char *buf, size_t size)
{
	size_t n = 0;

	while (len > 0 && (*body == ' ' || *body == '\n' || *body == '\r')) {
		body++;
		len--;
	}
	while (n < len && n + 1 < size && body[n] != '\n' && body[n] != '\r') {
		buf[n] = (unsigned char)body[n] < 0x20 ? ' ' : body[n];
		n++;
	}
	buf[n] = '\0';
}

void
response_error(const char *body, size_t len, long status, char *type,
    size_t tsize, char *reason, size_t rsize)
{
	jv resp = len > 0 && len <= INT_MAX ? jv_parse_sized(body, (int)len) :
	    jv_invalid();

	type[0] = reason[0] = '\0';
	if (jv_get_kind(resp) == JV_KIND_OBJECT) {
		copy_error(jv_object_get(resp, jv_string("error")), status,
		    type, tsize, reason, rsize);
		return;
	}
	jv_free(resp);
	first_line(body, len, reason, rsize);
	snprintf(type, tsize, "http_%ld", status);
	if (reason[0] == '\0')
		snprintf(reason, rsize, "HTTP %ld with an empty body", status);
}
