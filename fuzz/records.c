/*
 * Fuzz target: records whose "gz" member has any shape, through every
 * function that reads a record's gz member: lib/rec.c's accessors and
 * rec_check, gz-fetch's source_intake (tools/gz-fetch/source.c),
 * gz-extract's intake_record (tools/gz-extract/intake.c) and gz-index's
 * doc_new and ledger_put (tools/gz-index/doc.c, ledger.c).  libjq asserts
 * on a lookup in anything but an object, so one unchecked jv_object_get
 * shows up here as an abort.
 *
 * Input: a JSON value (or, when it does not parse, the bytes as a string).
 * It is put into the record at several depths: as gz itself, as
 * gz.error, gz.file, gz.bytes, gz.claim, gz.claim.worker, and as each
 * field of gz.error.  The checks: rec_check either accepts a record or
 * names the problem and leaves one it accepts; with gz.error =
 * bad_record added, every stage takes it as a failed record; each intake
 * returns a verdict with what it promises (a code and a reason, or a
 * file).  Input that makes libjq 1.6 itself leak is skipped (see jq16.h).
 */
#include "extract.h"
#include "fetch.h"
#include "doc.h"
#include "jq16.h"
#include "ledger.h"
#include "rec.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
die(const char *what, jv rec)
{
	jv s = jv_dump_string(jv_copy(rec), 0);

	fprintf(stderr, "records fuzz: %s: %s\n", what,
	    jv_get_kind(s) == JV_KIND_STRING ? jv_string_value(s) : "?");
	abort();
}

/* gz-index writes the ledger to stdout: keep it off the fuzzer's output. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	/* ledger_put queues its lines on the ledger's writer. */
	if (!ledger_open())
		abort();
	return 0;
}

/* The accessors every stage uses, on any record: none may abort. */
static void
accessors(jv rec)
{
	static const char *keys[] = { "error", "file", "bytes", "claim",
	    "index", "nothing" };
	char buf[160];
	size_t i;
	jv v;

	(void)rec_has_error(rec);
	(void)rec_id(rec);
	(void)rec_string(rec, "file_checksum");
	(void)rec_describe(rec, buf, sizeof buf);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = rec_gz_get(rec, keys[i]);
		jv_free(v);
	}
	v = rec_gz_get(rec, "error");
	(void)rec_string(v, "code");
	(void)rec_string(v, "stage");
	jv_free(v);
	jv_free(rec_gz_delete(rec_gz_set(jv_copy(rec), "x", jv_true()), "x"));
	jv_free(rec_strip_gz(jv_copy(rec)));
}

static void
fetch_intake(jv rec)
{
	static const enum fetch_source sources[] = { SOURCE_S3, SOURCE_URL,
	    SOURCE_DIR };
	struct fetch_options o;
	const char *what, *code;
	char why[400], want[33];
	size_t i;

	memset(&o, 0, sizeof o);
	for (i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		jv r = jv_copy(rec);

		o.source = sources[i];
		what = code = NULL;
		why[0] = '\0';
		switch (source_intake(&o, &r, &what, &code, why, sizeof why)) {
		case SOURCE_PASS:
			if (!rec_has_error(r))
				die("gz-fetch passes a record without error", r);
			break;
		case SOURCE_FAIL:
			if (code == NULL || why[0] == '\0')
				die("gz-fetch fails a record without a reason",
				    r);
			break;
		case SOURCE_FETCH:
			if (what == NULL)
				die("gz-fetch fetches nothing", r);
			source_checksum(r, want);
			break;
		}
		jv_free(r);
	}
}

static void
extract_intake(jv rec)
{
	const char *file = NULL, *code = NULL;
	char why[200] = "";
	jv r = jv_copy(rec);

	switch (intake_record(&r, &file, &code, why, sizeof why)) {
	case INTAKE_PASS:
		if (!rec_has_error(r))
			die("gz-extract passes a record without error", r);
		break;
	case INTAKE_FAIL:
		if (code == NULL || why[0] == '\0')
			die("gz-extract fails a record without a reason", r);
		break;
	case INTAKE_FILE:
		if (file == NULL || *file == '\0')
			die("gz-extract takes a record without gz.file", r);
		break;
	}
	jv_free(r);
}

/* gz-index's take_record: bad, failed upstream, or a document. */
static void
index_intake(jv rec)
{
	struct index_options o;
	char why[200];
	jv r = jv_copy(rec), error = jv_invalid();
	struct doc *d;

	memset(&o, 0, sizeof o);
	o.index = "querido-diario";
	o.batch_bytes = 10 << 20;
	if (!rec_check(&r, why, sizeof why)) {
		ledger_put(rec_set_error(r, "bad_record", why, 0, false));
		return;
	}
	if (rec_has_error(r)) {
		ledger_put(r);
		return;
	}
	if ((d = doc_new(r, NULL, &o, &error)) == NULL) {
		if (!rec_has_error(error))
			die("doc_new refused a record without error", error);
		ledger_put(error);
		return;
	}
	doc_free(d);
}

static void
one(jv rec)
{
	char why[200] = "";
	jv r = jv_copy(rec);

	accessors(rec);
	if (!rec_check(&r, why, sizeof why)) {
		char again[200];

		if (why[0] == '\0')
			die("rec_check refused a record without a reason", rec);
		if (!rec_check(&r, again, sizeof again))
			die("rec_check refused what it cleaned", r);
		r = rec_set_error(r, "bad_record", why, 0, false);
		if (!rec_check(&r, again, sizeof again) || !rec_has_error(r))
			die("a bad_record is not a well-formed failed record",
			    r);
		/* downstream, every stage passes it on */
		fetch_intake(r);
		extract_intake(r);
	}
	accessors(r);
	jv_free(r);
	fetch_intake(rec);
	extract_intake(rec);
	index_intake(rec);
	jv_free(rec);
}

static jv
base(void)
{
	jv rec = jv_object();

	rec = jv_object_set(rec, jv_string("id"), jv_number(4512));
	rec = jv_object_set(rec, jv_string("file_checksum"),
	    jv_string("0123456789abcdef0123456789abcdef"));
	rec = jv_object_set(rec, jv_string("file_path"),
	    jv_string("3550308/2024-01-02/4512.pdf"));
	rec = jv_object_set(rec, jv_string("file_url"),
	    jv_string("https://example.org/4512.pdf"));
	return jv_object_set(rec, jv_string("source_text"), jv_string("x"));
}

static jv
with_gz(jv gz)
{
	return jv_object_set(base(), jv_string("gz"), gz);
}

static jv
error_with(const char *key, jv v)
{
	jv err = jv_object();

	err = jv_object_set(err, jv_string("stage"), jv_string("gz-fetch"));
	err = jv_object_set(err, jv_string("code"), jv_string("http_404"));
	err = jv_object_set(err, jv_string("message"), jv_string("m"));
	return jv_object_set(err, jv_string(key), v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *members[] = { "error", "file", "bytes", "claim",
	    "index" };
	static const char *error_fields[] = { "code", "stage", "message",
	    "attempts", "retryable" };
	size_t i;
	jv v;

	if (jq16_parser_leaks((const char *)data, size, false))
		return 0;
	v = jv_parse_sized((const char *)data, (int)(size > 65536 ? 65536 :
	    size));
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_string_sized((const char *)data, (int)(size > 4096 ?
		    4096 : size));
	}
	one(with_gz(jv_copy(v)));
	for (i = 0; i < sizeof members / sizeof members[0]; i++)
		one(with_gz(jv_object_set(jv_object(), jv_string(members[i]),
		    jv_copy(v))));
	one(with_gz(jv_object_set(jv_object(), jv_string("claim"),
	    jv_object_set(jv_object(), jv_string("worker"), jv_copy(v)))));
	for (i = 0; i < sizeof error_fields / sizeof error_fields[0]; i++)
		one(with_gz(jv_object_set(jv_object(), jv_string("error"),
		    error_with(error_fields[i], jv_copy(v)))));
	/* the value as the whole record, when it is an object */
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		one(jv_copy(v));
	jv_free(v);
	/* what this input's ledger lines queued, written to /dev/null */
	if (ledger_flush(true) != 0)
		abort();
	return 0;
}
