/*
 * rec — see rec.h.
 */
#include "rec.h"
#include "log.h"

#include <math.h>
#include <stdio.h>

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
	gz_stats.records_failed++;
	return rec_gz_set(rec, "error",
	    error_object(code, message, attempts, retryable));
}

bool
rec_has_error(jv rec)
{
	jv err = rec_gz_get(rec, "error");
	bool has = jv_get_kind(err) != JV_KIND_NULL;

	jv_free(err);
	return has;
}

jv
rec_bad_line(unsigned long line, const char *message)
{
	jv err = error_object("bad_record", message, 0, false);

	gz_stats.records_failed++;
	err = jv_object_set(err, jv_string("line"), jv_number((double)line));
	return jv_object_set(jv_object(), jv_string("gz"),
	    jv_object_set(jv_object(), jv_string("error"), err));
}

long long
rec_id(jv rec)
{
	jv id = jv_object_get(jv_copy(rec), jv_string("id"));
	long long out = -1;

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
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	const char *s = NULL;

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
