/*
 * rec — the "gz" namespace of a record (gz(7)): pipeline state such as
 * gz.file, gz.bytes and gz.error lives there and gz-index strips it.
 *
 * jv convention: functions taking a jv consume it unless marked "borrows".
 */
#ifndef GZ_REC_H
#define GZ_REC_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

/* rec.gz[key], or jv_null() when absent. Borrows rec. */
jv rec_gz_get(jv rec, const char *key);
/* rec with gz[key] = value. Consumes rec and value. */
jv rec_gz_set(jv rec, const char *key, jv value);
/* rec without gz[key]. Consumes rec. */
jv rec_gz_delete(jv rec, const char *key);
/* rec without its gz namespace. Consumes rec. */
jv rec_strip_gz(jv rec);

/*
 * rec with gz.error = {stage, code, message, attempts, retryable}, the stage
 * being this program.  attempts < 1 leaves attempts out.  Consumes rec.
 *
 * Counts the record in gz_stats.records_failed (lib/log), the one place
 * every tool counts failures: a record this stage gives a gz.error failed
 * here, whether its own data was at fault or the run was (the service
 * down, credentials refused, a stop), so the summary and
 * gz_records_failed_total show an outage.  A record that can no longer be
 * written (stdout gone) gets no gz.error and is not counted.
 */
jv rec_set_error(jv rec, const char *code, const char *message, int attempts,
    bool retryable);
/* True when rec carries gz.error (a later stage must pass it on). Borrows. */
bool rec_has_error(jv rec);

/*
 * Whether the gz members the stages read have the kinds gz(7) gives
 * them: gz an object; gz.error an object with a string code (and, when
 * present, a string stage and message, a number attempts and a boolean
 * retryable); gz.file a string; gz.bytes a number; gz.claim an object with
 * a string worker.  Null counts as absent; other members are not looked at.
 * A record is untrusted (a replayed file, a jq edit), so a wrong kind is a
 * bad record, never an abort: rec_check returns false, why says what is
 * wrong ("gz.error is a string, not an object") and *rec loses the
 * offending members (all of gz when gz is not an object), ready to carry
 * rec_set_error(*rec, "bad_record", why, 0, false).  *rec stays owned by
 * the caller.
 */
bool rec_check(jv *rec, char *why, size_t size);

/*
 * The record an unreadable input line becomes, so the ledger still shows it:
 * {"gz":{"error":{...,"code":"bad_record","line":N}}}.  Counted as failed,
 * as rec_set_error does.
 */
jv rec_bad_line(unsigned long line, const char *message);

/* The gazette id, or -1 when absent or not an integer. Borrows. */
long long rec_id(jv rec);
/* A string field, or NULL when absent or not a string. Borrows; the
 * pointer lives as long as rec. */
const char *rec_string(jv rec, const char *key);
/*
 * How messages name a record: "id 4512", else "file_checksum abc…",
 * else "record". Borrows rec; returns buf.
 */
const char *rec_describe(jv rec, char *buf, size_t size);

#endif
