/*
 * intake — see extract.h.  Apart from slot.c so that the records fuzz target
 * can run it without starting converters.
 */
#include "extract.h"
#include "rec.h"

#include <stdio.h>

enum intake
intake_record(jv *rec, const char **file, const char **code, char *why,
    size_t size)
{
	jv f;

	if (!rec_check(rec, why, size)) {
		*code = "bad_record";
		return INTAKE_FAIL;
	}
	if (rec_has_error(*rec))
		return INTAKE_PASS;
	/*
	 * rec_check saw a string or nothing.  The string stays owned by
	 * *rec's gz member, so the pointer outlives this reference.
	 */
	f = rec_gz_get(*rec, "file");
	*file = jv_get_kind(f) == JV_KIND_STRING ? jv_string_value(f) : NULL;
	jv_free(f);
	if (*file == NULL || **file == '\0') {
		*code = "no_file";
		snprintf(why, size, "the record has no gz.file");
		return INTAKE_FAIL;
	}
	return INTAKE_FILE;
}
