/*
 * loop — gz-fetch's event loop: one thread, one curl multi handle.
 *
 * Each turn admits records from stdin (non-blocking) while fewer than --jobs
 * downloads are in flight or waiting for a retry, the output queue is short
 * and the spool is under --spool-limit; starts the retries that are due;
 * lets curl move data; judges finished transfers; writes finished records.
 * It then sleeps in curl_multi_poll on the transfers' sockets plus stdin,
 * stdout (while output waits) and the signal self-pipe.
 *
 * stdout is lib's non-blocking writer, written when poll says it takes
 * data: a slow reader downstream then stops new admissions (past
 * OUT_HIGH_WATER) instead of freezing the loop, which would stall every
 * transfer in flight into its low-speed timeout.
 */
#include "fetch.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output waiting beyond this stops admissions (records are small). */
#define OUT_HIGH_WATER (256u * 1024)
/* --source s3: this many records in a row failing to reach the storage
 * (each after its retries) means it is down; the rest are not tried. */
#define UNREACHABLE_STREAK 10
/* Say why nothing moves when --spool-limit has held admissions this long. */
#define SPOOL_WAIT_WARN 60.0

struct loop {
	const struct fetch_options *o;
	struct spool *spool;
	struct ndjson_reader *in;
	CURLM *multi;
	CURL **pool;			/* idle easy handles, reused */
	int npool;
	struct job *waiting;		/* retries not yet due */
	struct job *flying;		/* in flight */
	int nactive;			/* in flight + waiting */
	bool eof, write_failed, fatal;
	struct ndjson_writer *out;	/* stdout */
	int status;
	int streak;			/* transport failures in a row */
	bool down;			/* the storage is unreachable */
	struct s3_health health;	/* what the storage's answers show */
	bool misconfigured;		/* ... STORAGE_* cannot work */
	char misconfig_why[380];	/* the one message, naming what to fix */
	bool any_ok, any_other_failure;
	double blocked_since;
	uint64_t fetched, failed, passed;
};

/* --- records out ------------------------------------------------------------ */

static void
out_push(struct loop *l, jv rec)
{
	if (l->write_failed) {
		jv_free(rec);
		return;
	}
	if (ndjson_writer_put_jv(l->out, rec) == 0 &&
	    ndjson_writer_error(l->out) == 0) {
		log_error("out of memory for a record of output");
		exit(EXIT_FATAL);
	}
}

/* EPIPE ends the run quietly; the writer logged anything else. */
static void
write_failed(struct loop *l)
{
	l->write_failed = true;
	if (ndjson_writer_error(l->out) != EPIPE)
		l->status = EXIT_FATAL;
}

/*
 * Writes what stdout takes now; with wait, everything (a stop gives up on
 * a reader that takes nothing for a few seconds).
 */
static void
out_flush(struct loop *l, bool wait)
{
	if (l->write_failed)
		return;
	if ((wait ? ndjson_writer_drain(l->out) :
	    ndjson_writer_flush(l->out)) != 0)
		write_failed(l);
}

/* --- finishing a record ------------------------------------------------------ */

static jv
fetch_figures(const struct loop *l, const struct job *j, long status)
{
	static const char *names[] = { "s3", "url", "dir" };
	double seconds = clock_monotonic() - j->started;
	jv f = jv_object();

	f = jv_object_set(f, jv_string("source"),
	    jv_string(names[l->o->source]));
	f = jv_object_set(f, jv_string("attempts"), jv_number(j->attempts));
	f = jv_object_set(f, jv_string("seconds"),
	    jv_number(round(seconds * 1000) / 1000));
	if (status > 0)
		f = jv_object_set(f, jv_string("http_status"),
		    jv_number((double)status));
	return f;
}

static void
job_free(struct job *j)
{
	spool_file_abort(&j->file);
	md5_free(&j->md5);
	jv_free(j->rec);
	free(j->target);
	free(j);
}

static void
succeed(struct loop *l, struct job *j)
{
	jv rec = j->rec;

	rec = rec_gz_set(rec, "file", jv_string(j->file.path));
	rec = rec_gz_set(rec, "bytes", jv_number((double)j->file.bytes));
	rec = rec_gz_set(rec, "fetch", fetch_figures(l, j, j->status));
	j->rec = jv_invalid();
	log_debug("%s: %llu bytes in %s", j->desc,
	    (unsigned long long)j->file.bytes, j->file.path);
	stats_observe_duration(clock_monotonic() - j->started);
	out_push(l, rec);
	l->fetched++;
	l->streak = 0;
	l->any_ok = true;
	job_free(j);
}

static void
fail(struct loop *l, struct job *j, const struct xfer_result *r)
{
	jv rec = j->rec;

	spool_file_abort(&j->file);
	if (r->quiet)
		log_debug("%s: %s: %s", j->desc, r->code, r->message);
	else if (j->attempts > 1)
		log_warn("%s: %s after %d attempts: %s", j->desc, r->code,
		    j->attempts, r->message);
	else
		log_warn("%s: %s: %s", j->desc, r->code, r->message);
	if (j->attempts > 0)
		rec = rec_gz_set(rec, "fetch", fetch_figures(l, j, j->status));
	rec = rec_set_error(rec, r->code, r->message, j->attempts,
	    r->retryable);
	j->rec = jv_invalid();
	out_push(l, rec);
	l->failed++;
	if (l->status == EXIT_OK)
		l->status = EXIT_RECORDS;
	if (r->fatal)
		l->fatal = true;
	if (!r->transport) {
		l->any_other_failure = true;
		l->streak = 0;	/* the storage answered */
	} else if (l->o->source == SOURCE_S3 && ++l->streak >=
	    UNREACHABLE_STREAK && !l->down) {
		l->down = true;
		log_error("the storage is unreachable: %d records in a row "
		    "failed; the rest are not tried", l->streak);
	}
	job_free(j);
}

static void
fail_now(struct loop *l, struct job *j, const char *code, const char *why,
    bool retryable)
{
	struct xfer_result r;

	memset(&r, 0, sizeof r);
	snprintf(r.code, sizeof r.code, "%s", code);
	snprintf(r.message, sizeof r.message, "%s", why);
	r.retryable = retryable;
	r.fatal = strcmp(code, "disk_full") == 0;
	r.transport = strcmp(code, "connection_failed") == 0;
	/* Not tried because the storage is down or misconfigured: the run's
	 * one message said why. */
	r.quiet = strncmp(why, "not tried", 9) == 0;
	fail(l, j, &r);
}

/*
 * The storage answered in a way that only a wrong STORAGE_* explains: say
 * so once, and give up the retries that wait (they would get the same
 * answer).  Records in flight finish or fail on their own; those still to
 * come are passed on untried (admit), so the ledger accounts for them all.
 */
static void
misconfigured(struct loop *l, const struct xfer_result *r)
{
	struct job *j;
	char why[600];
	const char *what = strstr(r->message, "): ");

	if (l->misconfigured)
		return;
	l->misconfigured = true;
	snprintf(l->misconfig_why, sizeof l->misconfig_why, "%.379s",
	    what != NULL ? what + 3 : r->message);
	log_error("%s; every record not yet fetched goes on with gz.error "
	    "storage_misconfigured (retryable)", l->misconfig_why);
	snprintf(why, sizeof why, "not tried: %s", l->misconfig_why);
	while ((j = l->waiting) != NULL) {
		l->waiting = j->next;
		l->nactive--;
		fail_now(l, j, "storage_misconfigured", why, true);
	}
}

/* --- transfers -------------------------------------------------------------- */

static void
start(struct loop *l, struct job *j)
{
	char why[300];

	j->easy = l->pool[--l->npool];
	curl_easy_reset(j->easy);
	j->attempts++;
	if (j->attempts > 1)
		gz_stats.retries++;
	if (!xfer_setup(l->o, j, why, sizeof why)) {
		curl_slist_free_all(j->headers);
		j->headers = NULL;
		l->pool[l->npool++] = j->easy;
		j->easy = NULL;
		l->nactive--;
		fail_now(l, j, "spool_error", why, false);
		return;
	}
	curl_multi_add_handle(l->multi, j->easy);
	j->next = l->flying;
	l->flying = j;
	gz_stats.inflight++;
}

static void
finished(struct loop *l, struct job *j, CURLcode rc)
{
	struct xfer_result r;
	struct job **p;

	for (p = &l->flying; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	j->next = NULL;
	curl_multi_remove_handle(l->multi, j->easy);
	gz_stats.inflight--;
	xfer_finish(l->o, j, rc, &l->health, &r);
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	l->pool[l->npool++] = j->easy;
	j->easy = NULL;
	if (r.retry && l->misconfigured) {
		r.retry = false;
		r.quiet = true;
		snprintf(r.code, sizeof r.code, "storage_misconfigured");
		snprintf(r.message, sizeof r.message, "not tried again: %s",
		    l->misconfig_why);
	}
	if (r.retry) {
		log_info("%s: %s: %s; retrying in %.1f s, %d left", j->desc,
		    r.code, r.message, r.delay,
		    l->o->retry.max_attempts - j->attempts);
		j->not_before = clock_monotonic() + r.delay;
		j->next = l->waiting;
		l->waiting = j;
		return;
	}
	l->nactive--;
	if (r.ok)
		xfer_complete(l->spool, j, &r);
	if (r.ok)
		succeed(l, j);
	else {
		if (r.misconfigured)
			misconfigured(l, &r);
		else if (l->misconfigured && strcmp(r.code,
		    "storage_misconfigured") == 0)
			r.quiet = true;
		fail(l, j, &r);
	}
}

static void
collect(struct loop *l)
{
	struct job *j;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		finished(l, j, m->data.result);
	}
}

/* Starts the retries that are due; returns the seconds to the next one
 * (or a large number). */
static double
start_due(struct loop *l)
{
	double now = clock_monotonic(), next = 3600;
	struct job **p = &l->waiting, *j;

	while ((j = *p) != NULL) {
		if (j->not_before > now || sig_stop_requested()) {
			if (j->not_before - now < next)
				next = j->not_before - now;
			p = &j->next;
			continue;
		}
		*p = j->next;
		j->next = NULL;
		start(l, j);
	}
	return next;
}

/* --- records in ------------------------------------------------------------- */

static void
admit(struct loop *l, jv rec)
{
	struct job *j;
	const char *what = NULL, *code = NULL;
	char why[400], ext[16];
	enum source_intake intake;

	gz_stats.records_in++;
	intake = source_intake(l->o, &rec, &what, &code, why, sizeof why);
	if (intake == SOURCE_PASS) {
		l->passed++;
		out_push(l, rec);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->rec = rec;
	j->file.fd = -1;
	j->started = clock_monotonic();
	rec_describe(rec, j->desc, sizeof j->desc);
	if (intake == SOURCE_FAIL) {
		fail_now(l, j, code, why, false);
		return;
	}
	if (l->down) {
		fail_now(l, j, "connection_failed", "not tried: the storage "
		    "is unreachable", true);
		return;
	}
	if (l->misconfigured) {
		snprintf(why, sizeof why, "not tried: %s", l->misconfig_why);
		fail_now(l, j, "storage_misconfigured", why, true);
		return;
	}
	j->target = xstrdup(what);
	source_checksum(rec, j->want_md5);
	md5_init(&j->md5);
	if (!spool_file_open(l->spool, &j->file, rec_id(rec),
	    source_extension(what, l->o->source == SOURCE_URL, ext,
	    sizeof ext))) {
		snprintf(why, sizeof why, "creating a spool file: %s",
		    strerror(errno));
		fail_now(l, j, errno == ENOSPC || errno == EDQUOT ?
		    "disk_full" : "spool_error", why, true);
		return;
	}
	if (l->o->source == SOURCE_DIR) {
		struct xfer_result r;

		memset(&r, 0, sizeof r);
		j->attempts = 1;
		if ((code = source_copy(l->o, j->target, &j->file, &j->md5, why,
		    sizeof why)) != NULL) {
			fail_now(l, j, code, why, strcmp(code, "disk_full") == 0);
			return;
		}
		xfer_complete(l->spool, j, &r);
		if (r.ok)
			succeed(l, j);
		else
			fail(l, j, &r);
		return;
	}
	l->nactive++;
	start(l, j);
}

/* Whether another record may come in now. */
static bool
may_admit(struct loop *l)
{
	if (l->eof || l->write_failed || sig_stop_requested() ||
	    l->nactive >= l->o->jobs || ndjson_writer_full(l->out))
		return false;
	if (!spool_full(l->spool)) {
		l->blocked_since = 0;
		return true;
	}
	if (l->blocked_since == 0)
		l->blocked_since = clock_monotonic();
	else if (l->blocked_since > 0 &&
	    clock_monotonic() - l->blocked_since > SPOOL_WAIT_WARN) {
		char buf[32];

		log_warn("--spool-limit: %s of files wait in %s for a minute; "
		    "is downstream deleting them (gz-extract does, unless "
		    "--keep)?", format_bytes((double)spool_waiting(l->spool),
		    buf, sizeof buf), spool_path(l->spool));
		l->blocked_since = -1;	/* once per wait */
	}
	return false;
}

static void
read_input(struct loop *l)
{
	enum ndjson_status st;
	jv rec;

	while (may_admit(l)) {
		st = ndjson_read(l->in, &rec);
		if (st == NDJSON_RECORD)
			admit(l, rec);
		else if (st == NDJSON_BAD) {
			log_warn("%s", ndjson_error(l->in));
			gz_stats.records_in++;
			if (l->status == EXIT_OK)
				l->status = EXIT_RECORDS;
			out_push(l, rec_bad_line(ndjson_line(l->in),
			    ndjson_error(l->in)));
		} else if (st == NDJSON_AGAIN)
			return;
		else {
			if (st == NDJSON_IOERR) {
				log_error("reading records: %s",
				    strerror(errno));
				l->status = EXIT_FATAL;
			}
			l->eof = true;
		}
	}
}

/* --- the loop --------------------------------------------------------------- */

static void
wait_events(struct loop *l, bool want_input, double next_retry)
{
	struct curl_waitfd fds[3];
	unsigned int n = 0;
	double ms = 1000;

	if (sig_wakeup_fd() >= 0)
		fds[n++] = (struct curl_waitfd){ sig_wakeup_fd(), CURL_WAIT_POLLIN,
		    0 };
	if (want_input)
		fds[n++] = (struct curl_waitfd){ ndjson_fd(l->in),
		    CURL_WAIT_POLLIN, 0 };
	if (ndjson_writer_events(l->out) != 0)
		fds[n++] = (struct curl_waitfd){ ndjson_writer_fd(l->out),
		    CURL_WAIT_POLLOUT, 0 };
	if (next_retry * 1000 < ms)
		ms = next_retry * 1000;
	if (l->blocked_since != 0 && ms > 200)
		ms = 200;	/* --spool-limit: look again soon */
	curl_multi_poll(l->multi, fds, n, ms < 0 ? 0 : (int)ceil(ms), NULL);
}

/*
 * Stopped by a signal: the records in flight or waiting for a retry go out
 * with gz.error "interrupted" (retryable), as gz-extract does, so the
 * ledger still shows them; their temporary files are removed.  When stdout
 * is gone they are simply dropped.
 */
static void
abandon(struct loop *l)
{
	struct xfer_result r;
	struct job *j;
	int i;

	memset(&r, 0, sizeof r);
	snprintf(r.code, sizeof r.code, "interrupted");
	snprintf(r.message, sizeof r.message, "stopped by a signal while "
	    "downloading");
	r.retryable = true;
	while ((j = l->flying) != NULL) {
		l->flying = j->next;
		gz_stats.inflight--;
		curl_multi_remove_handle(l->multi, j->easy);
		curl_slist_free_all(j->headers);
		j->headers = NULL;
		l->pool[l->npool++] = j->easy;
		j->easy = NULL;
		j->next = l->waiting;
		l->waiting = j;
	}
	while ((j = l->waiting) != NULL) {
		l->waiting = j->next;
		l->nactive--;
		if (l->write_failed)
			job_free(j);
		else
			fail(l, j, &r);
	}
	for (i = 0; i < l->npool; i++)
		curl_easy_cleanup(l->pool[i]);
	l->npool = 0;
}

static void
summary(const struct loop *l)
{
	char extra[256], bytes[32];

	snprintf(extra, sizeof extra, "%llu fetched (%s), %llu passed "
	    "through", (unsigned long long)l->fetched,
	    format_bytes((double)gz_stats.bytes, bytes, sizeof bytes),
	    (unsigned long long)l->passed);
	progress_summary(extra);
}

/* gz(7)'s exit status; see gz-fetch(1), EXIT STATUS. */
static int
final_status(const struct loop *l)
{
	if (l->status == EXIT_FATAL || l->fatal)
		return EXIT_FATAL;
	if (l->misconfigured)
		return EXIT_USAGE;
	if (l->down)
		return EXIT_FATAL;
	if (l->o->source == SOURCE_S3 && l->failed > 0 && !l->any_ok &&
	    !l->any_other_failure) {
		log_error("no record could reach the storage");
		return EXIT_FATAL;
	}
	return l->status;
}

int
fetch_run(const struct fetch_options *o, struct spool *spool)
{
	struct loop l = { .o = o, .spool = spool, .status = EXIT_OK };
	double next;
	int i;

	l.in = ndjson_reader_new(STDIN_FILENO, cli_max_record_bytes);
	l.pool = xcalloc((size_t)o->jobs, sizeof *l.pool);
	l.out = ndjson_writer_new(STDOUT_FILENO, OUT_HIGH_WATER, "records");
	if ((l.multi = curl_multi_init()) == NULL)
		xalloc_die(0);
	ndjson_reader_set_nonblocking(l.in, true);
	for (i = 0; i < o->jobs; i++)
		if ((l.pool[l.npool++] = curl_easy_init()) == NULL)
			xalloc_die(0);
	for (;;) {
		int running;
		bool want;

		read_input(&l);
		next = start_due(&l);
		curl_multi_perform(l.multi, &running);
		collect(&l);
		out_flush(&l, false);
		progress_tick();
		if (sig_stop_requested() || l.write_failed ||
		    (l.eof && l.nactive == 0))
			break;
		want = may_admit(&l);
		wait_events(&l, want, next);
	}
	abandon(&l);
	out_flush(&l, true);
	summary(&l);
	ndjson_reader_free(l.in);
	curl_multi_cleanup(l.multi);
	free(l.pool);
	ndjson_writer_free(l.out);
	return final_status(&l);
}
