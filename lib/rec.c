/*
 * rec — see rec.h.
 */
#include "rec.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

jv
rec_gz_get(jv rec, const char *key)
{
	jv gz;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return jv_null();
	gz = jv_object_get(jv_copy(rec), jv_string("gz"));
	if (jv_get_kind(gz) != JV_KIND_OBJECT) {
		jv_free(gz);
		return jv_null();
	}
	gz = jv_object_get(gz, jv_string(key));
	if (!jv_is_valid(gz)) {
		jv_free(gz);
		return jv_null();
	}
	return gz;
}

jv
rec_gz_set(jv rec, const char *key, jv value)
{
	jv gz = jv_object_get(jv_copy(rec), jv_string("gz"));

	if (jv_get_kind(gz) != JV_KIND_OBJECT) {
		jv_free(gz);
		gz = jv_object();
	}
	gz = jv_object_set(gz, jv_string(key), value);
	return jv_object_set(rec, jv_string("gz"), gz);
}

jv
rec_gz_delete(jv rec, const char *key)
{
	jv gz = jv_object_get(jv_copy(rec), jv_string("gz"));

	if (jv_get_kind(gz) != JV_KIND_OBJECT) {
		jv_free(gz);
		return rec;
	}
	gz = jv_object_delete(gz, jv_string(key));
	return jv_object_set(rec, jv_string("gz"), gz);
}

jv
rec_strip_gz(jv rec)
{
	return jv_object_delete(rec, jv_string("gz"));
}

static jv
error_object(const char *code, const char *message, int attempts,
    bool retryable)
{
	jv err = jv_object();

	err = jv_object_set(err, jv_string("stage"),
	    jv_string(log_progname()));
	err = jv_object_set(err, jv_string("code"), jv_string(code));
	err = jv_object_set(err, jv_string("message"), jv_string(message));
	if (attempts > 0)
		err = jv_object_set(err, jv_string("attempts"),
		    jv_number(attempts));
	return jv_object_set(err, jv_string("retryable"), jv_bool(retryable));
}

jv
rec_set_error(jv rec, const char *code, const char *message, int attempts,
    bool retryable)
{
	stats_count_failure(code);
	return rec_gz_set(rec, "error",
	    error_object(code, message, attempts, retryable));
}

bool
rec_has_error(jv rec)
{
	jv err = rec_gz_get(rec, "error");
	bool has = jv_get_kind(err) == JV_KIND_OBJECT;

	jv_free(err);
	return has;
}

/* "a string", "an array": how a message names a value's kind. */
static const char *
kind_phrase(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return "a string";
	case JV_KIND_NUMBER:
		return "a number";
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		return "a boolean";
	case JV_KIND_ARRAY:
		return "an array";
	case JV_KIND_OBJECT:
		return "an object";
	default:
		return "null";
	}
}

static bool
kind_is(jv v, jv_kind want)
{
	jv_kind k = jv_get_kind(v);

	if (want == JV_KIND_TRUE)	/* stands for "a boolean" */
		return k == JV_KIND_TRUE || k == JV_KIND_FALSE;
	return k == want;
}

struct check {
	char *why;
	size_t size;
	bool bad;
};

/* The first complaint is the one the record carries. */
static void
complain(struct check *c, const char *path, const char *what)
{
	if (!c->bad && c->size > 0)
		snprintf(c->why, c->size, "%s %s", path, what);
	c->bad = true;
}

/*
 * Whether obj[key] (obj an object, borrowed) is null/absent or of kind
 * want, named want_phrase in the complaint.  required: null is wrong too.
 */
static bool
member_ok(struct check *c, jv obj, const char *prefix, const char *key,
    jv_kind want, const char *want_phrase, bool required)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	char path[64], what[96];
	bool ok;

	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	ok = jv_get_kind(v) == JV_KIND_NULL ? !required : kind_is(v, want);
	if (!ok) {
		snprintf(path, sizeof path, "%s.%s", prefix, key);
		if (jv_get_kind(v) == JV_KIND_NULL)
			snprintf(what, sizeof what, "is missing");
		else
			snprintf(what, sizeof what, "is %s, not %s",
			    kind_phrase(v), want_phrase);
		complain(c, path, what);
	}
	jv_free(v);
	return ok;
}

/* gz.error: {stage, code, message, attempts, retryable} as rec_set_error
 * writes it; code is what every later stage counts by. */
static bool
error_ok(struct check *c, jv err)
{
	bool ok = true;

	ok &= member_ok(c, err, "gz.error", "code", JV_KIND_STRING,
	    "a string", true);
	ok &= member_ok(c, err, "gz.error", "stage", JV_KIND_STRING,
	    "a string", false);
	ok &= member_ok(c, err, "gz.error", "message", JV_KIND_STRING,
	    "a string", false);
	ok &= member_ok(c, err, "gz.error", "attempts", JV_KIND_NUMBER,
	    "a number", false);
	ok &= member_ok(c, err, "gz.error", "retryable", JV_KIND_TRUE,
	    "a boolean", false);
	return ok;
}

bool
rec_check(jv *rec, char *why, size_t size)
{
	static const struct {
		const char *key;
		jv_kind kind;
		const char *phrase;
	} members[] = {
		{ "error", JV_KIND_OBJECT, "an object" },
		{ "file", JV_KIND_STRING, "a string" },
		{ "bytes", JV_KIND_NUMBER, "a number" },
		{ "claim", JV_KIND_OBJECT, "an object" },
	};
	struct check c = { why, size, false };
	jv gz, v;
	size_t i;

	if (size > 0)
		why[0] = '\0';
	if (jv_get_kind(*rec) != JV_KIND_OBJECT) {
		complain(&c, "the record", "is not an object");
		jv_free(*rec);
		*rec = jv_object();
		return false;
	}
	gz = jv_object_get(jv_copy(*rec), jv_string("gz"));
	if (!jv_is_valid(gz) || jv_get_kind(gz) == JV_KIND_NULL) {
		jv_free(gz);
		return true;
	}
	if (jv_get_kind(gz) != JV_KIND_OBJECT) {
		char what[64];

		snprintf(what, sizeof what, "is %s, not an object",
		    kind_phrase(gz));
		complain(&c, "gz", what);
		jv_free(gz);
		*rec = jv_object_delete(*rec, jv_string("gz"));
		return false;
	}
	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		bool ok = member_ok(&c, gz, "gz", members[i].key,
		    members[i].kind, members[i].phrase, false);

		v = jv_object_get(jv_copy(gz), jv_string(members[i].key));
		if (ok && jv_get_kind(v) == JV_KIND_OBJECT) {
			if (strcmp(members[i].key, "error") == 0)
				ok = error_ok(&c, v);
			else
				ok = member_ok(&c, v, "gz.claim", "worker",
				    JV_KIND_STRING, "a string", false);
		}
		jv_free(v);
		if (!ok)
			gz = jv_object_delete(gz, jv_string(members[i].key));
	}
	if (!c.bad) {
		jv_free(gz);
		return true;
	}
	*rec = jv_object_set(*rec, jv_string("gz"), gz);
	return false;
}

jv
rec_bad_line(unsigned long line, const char *message)
{
	jv err = error_object("bad_record", message, 0, false);

	stats_count_failure("bad_record");
	err = jv_object_set(err, jv_string("line"), jv_number((double)line));
	return jv_object_set(jv_object(), jv_string("gz"),
	    jv_object_set(jv_object(), jv_string("error"), err));
}

long long
rec_id(jv rec)
{
	jv id;
	long long out = -1;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return -1;
	id = jv_object_get(jv_copy(rec), jv_string("id"));
	if (jv_get_kind(id) == JV_KIND_NUMBER) {
		double d = jv_number_value(id);

		if (d >= 0 && d < 9007199254740992.0 && floor(d) == d)
			out = (long long)d;
	}
	jv_free(id);
	return out;
}

const char *
rec_string(jv rec, const char *key)
{
	jv v;
	const char *s = NULL;

	/* libjq asserts on a lookup in anything but an object. */
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(rec), jv_string(key));
	/*
	 * The string is owned by rec, which holds a reference, so the
	 * pointer stays valid after this copy is freed.
	 */
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);
	jv_free(v);
	return s;
}

const char *
rec_describe(jv rec, char *buf, size_t size)
{
	long long id = rec_id(rec);
	const char *sum;

	if (id >= 0)
		snprintf(buf, size, "id %lld", id);
	else if ((sum = rec_string(rec, "file_checksum")) != NULL)
		snprintf(buf, size, "file_checksum %.40s", sum);
	else
		snprintf(buf, size, "record");
	return buf;
}
