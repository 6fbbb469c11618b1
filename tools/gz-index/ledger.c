/*
 * ledger — gz-index's stdout: one line per input record, the record without
 * source_text plus gz.index (what OpenSearch said) or gz.error.  Also the
 * tally behind the closing summary: indexed, marked, failed by stage/code.
 *
 * Lines go through lib's non-blocking writer, which the loop polls: a slow
 * reader never holds up a bulk request or a retry.  Marks wait for their
 * lines' tickets (ack.c).
 */
#include "ledger.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TALLY_MAX 24
/*
 * Ledger lines waiting for a slow reader past this stop the reading of
 * input (lines are small: the record without its text).
 */
#define LEDGER_HIGH_WATER (1u << 20)

static struct {
	char key[96];
	uint64_t n;
} tally[TALLY_MAX + 1];		/* the last slot is "other" */
static size_t ntally;
static uint64_t indexed, marked;
static int write_errno;
static uint64_t last_ticket;	/* of the last line queued */
static struct ndjson_writer *out;

static void
count_error(jv rec)
{
	jv err = rec_gz_get(rec, "error");
	const char *stage = rec_string(err, "stage"), *code;
	char key[96];
	size_t i;

	code = rec_string(err, "code");
	snprintf(key, sizeof key, "%s/%s", stage ? stage : "?",
	    code ? code : "?");
	jv_free(err);
	for (i = 0; i < ntally; i++)
		if (strcmp(tally[i].key, key) == 0)
			break;
	if (i == ntally) {
		if (ntally == TALLY_MAX) {
			i = TALLY_MAX;
			snprintf(tally[i].key, sizeof tally[i].key, "other");
		} else {
			snprintf(tally[i].key, sizeof tally[i].key, "%s", key);
			ntally++;
		}
	}
	tally[i].n++;
}

bool
ledger_open(void)
{
	out = ndjson_writer_new(STDOUT_FILENO, LEDGER_HIGH_WATER, "the ledger");
	return out != NULL;
}

void
ledger_close(void)
{
	ndjson_writer_free(out);
	out = NULL;
}

struct ndjson_writer *
ledger_writer(void)
{
	return out;
}

int
ledger_put(jv rec)
{
	if (rec_has_error(rec))
		count_error(rec);
	if (write_errno != 0) {
		jv_free(rec);
		return -1;
	}
	if ((last_ticket = ndjson_writer_put_jv(out, rec)) == 0) {
		write_errno = ndjson_writer_error(out);
		if (write_errno == 0) {
			log_error("out of memory for a ledger line");
			write_errno = ENOMEM;
		}
		return -1;
	}
	return 0;
}

int
ledger_flush(bool wait)
{
	if (write_errno != 0)
		return -1;
	if ((wait ? ndjson_writer_drain(out) : ndjson_writer_flush(out)) != 0) {
		write_errno = errno;
		return -1;
	}
	return 0;
}

uint64_t
ledger_ticket(void)
{
	return last_ticket;
}

bool
ledger_out(uint64_t ticket)
{
	return ndjson_writer_done(out, ticket);
}

int
ledger_errno(void)
{
	return write_errno;
}

void
ledger_indexed(bool was_marked)
{
	indexed++;
	if (was_marked)
		marked++;
}

const char *
ledger_summary(bool marking, char *buf, size_t size)
{
	double secs = stats_elapsed();
	bool first = true;
	size_t len, i;

	if (marking)
		len = (size_t)snprintf(buf, size, "indexed %llu (marked %llu)",
		    (unsigned long long)indexed, (unsigned long long)marked);
	else
		len = (size_t)snprintf(buf, size, "indexed %llu",
		    (unsigned long long)indexed);
	for (i = 0; i <= TALLY_MAX && len < size; i++) {
		if (tally[i].n == 0)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s %llu",
		    first ? ", failed: " : ", ", tally[i].key,
		    (unsigned long long)tally[i].n);
		first = false;
	}
	if (len < size)
		snprintf(buf + len, size - len, ", retries %llu, %.1f docs/s",
		    (unsigned long long)gz_stats.retries,
		    secs > 0 ? indexed / secs : 0.0);
	return buf;
}
