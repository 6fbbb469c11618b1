/*
 * run — the event loop: one process, --jobs converters at once (and
 * --ocr-jobs documents in OCR besides), one poll()
 * over their stdout and stderr pipes, stdin (when a slot is free), stdout
 * (while records wait in the writer) and the signal wake-up pipe.  Records
 * leave in the order their documents finish.
 *
 * Reading stops while every slot is busy, so a slow converter holds back
 * the input instead of records piling up in memory: what gz-extract holds
 * is at most --jobs records and --jobs texts of at most --max-text-bytes.
 * A slot whose record waits for a slow reader stays busy until its line is
 * written, so a slow reader holds back the input the same way, while the
 * converters already running go on under their own time limit: --timeout
 * measures a converter, never the wait for the reader.
 */
#include "cli.h"
#include "extract.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"
#include "sig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest poll() sleep, so progress lines keep coming during long jobs. */
#define MAX_SLEEP_MS 1000
/*
 * Past this many bytes waiting for the reader, no record is read: the job
 * slots bound extracted texts, and this bounds the lines that take no slot
 * (bad lines).
 */
#define OUT_HIGH_WATER (1u << 20)


struct run {
	const struct extract_options *o;
	struct slot **slots;
	int nslots;			/* --jobs + --ocr-jobs */
	struct pollfd *fds;
	struct ndjson_reader *reader;	/* NULL in FILE... mode */
	struct ndjson_writer *out;	/* stdout */
	int next_file;
	bool input_done;
	bool stdin_waiting;		/* the reader said "no line yet" */
	bool stop;			/* EPIPE, a fatal error or a signal */
	int status;
};

/* A broken stdout stops the run; EPIPE quietly (the writer logged the
 * rest). */
static void
write_failed(struct run *r)
{
	if (ndjson_writer_error(r->out) != EPIPE)
		r->status = EXIT_FATAL;
	r->stop = true;
}

/* Queues a done job's record; its slot frees once the line is out. */
static void
finish(struct run *r, struct slot *j)
{
	bool failed;

	slot_finish(j, r->out, &failed);
	if (failed && r->status == EXIT_OK)
		r->status = EXIT_RECORDS;
}

/* Writes what stdout takes; frees the slots whose line is out. */
static void
put_out(struct run *r)
{
	int i;

	if (ndjson_writer_flush(r->out) != 0 && !r->stop)
		write_failed(r);
	for (i = 0; i < r->nslots; i++)
		slot_out(r->slots[i], r->out);
}

/* The next input record: from stdin, or built from a FILE operand. */
static enum ndjson_status
next_record(struct run *r, jv *rec)
{
	enum ndjson_status st;
	char *abs;

	if (r->reader != NULL) {
		st = ndjson_read(r->reader, rec);
		if (st == NDJSON_BAD) {
			log_error("%s", ndjson_error(r->reader));
			*rec = rec_bad_line(ndjson_line(r->reader),
			    ndjson_error(r->reader));
		}
		return st;
	}
	if (r->next_file >= r->o->nfiles)
		return NDJSON_EOF;
	if ((abs = extract_absolute(r->o->files[r->next_file++])) == NULL)
		return NDJSON_IOERR;
	*rec = rec_gz_set(jv_object(), "file", jv_string(abs));
	free(abs);
	return NDJSON_RECORD;
}

/*
 * A free slot, while fewer than --jobs are busy with anything but OCR: a
 * document being recognised holds an --ocr-jobs place instead, so a long
 * scan never holds up the text documents behind it.
 */
static struct slot *
free_slot(struct run *r)
{
	struct slot *free = NULL;
	int i, busy = 0;

	for (i = 0; i < r->nslots; i++)
		if (slot_is_free(r->slots[i]))
			free = free != NULL ? free : r->slots[i];
		else if (!slot_recognising(r->slots[i]))
			busy++;
	return busy < r->o->jobs ? free : NULL;
}

/* Takes records while a slot is free; failures write out at once. */
static void
admit(struct run *r)
{
	struct slot *j;
	jv rec;

	r->stdin_waiting = false;
	while (!r->input_done && !r->stop && !ndjson_writer_full(r->out) &&
	    (j = free_slot(r)) != NULL) {
		enum ndjson_status st = next_record(r, &rec);

		if (st == NDJSON_AGAIN) {
			r->stdin_waiting = true;
			return;
		}
		if (st == NDJSON_EOF || st == NDJSON_IOERR) {
			if (st == NDJSON_IOERR) {
				log_error("reading records: %s",
				    strerror(errno));
				r->status = EXIT_FATAL;
			}
			r->input_done = true;
			return;
		}
		gz_stats.records_in++;
		if (st == NDJSON_BAD) {
			ndjson_writer_put_jv(r->out, rec);
			if (r->status == EXIT_OK)
				r->status = EXIT_RECORDS;
			continue;
		}
		if (!slot_start(j, rec))
			finish(r, j);
	}
}

/* The fds to watch, and how long poll() may sleep. */
static int
watch(struct run *r, int *timeout_ms)
{
	double now = clock_monotonic(), wait = MAX_SLEEP_MS / 1000.0;
	int i, n = 0;

	r->fds[n++] = (struct pollfd){ sig_wakeup_fd(), POLLIN, 0 };
	if (r->stdin_waiting)
		r->fds[n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	if (ndjson_writer_events(r->out) != 0)
		r->fds[n++] = (struct pollfd){ ndjson_writer_fd(r->out),
		    ndjson_writer_events(r->out), 0 };
	for (i = 0; i < r->nslots; i++) {
		double w = slot_wait(r->slots[i], now);

		n += slot_pollfds(r->slots[i], r->fds + n);
		if (w >= 0 && w < wait)
			wait = w;
	}
	*timeout_ms = (int)ceil(wait * 1000);
	return n;
}

/* Every slot free and nothing waiting for the reader. */
static bool
idle(const struct run *r)
{
	int i;

	for (i = 0; i < r->nslots; i++)
		if (!slot_is_free(r->slots[i]))
			return false;
	return ndjson_writer_pending(r->out) == 0;
}

/*
 * The end, or a signal or a broken stdout: kill what runs; say so if we
 * still can, and wait for the reader to take what is queued (a stop gives
 * it a few seconds).
 */
static void
wind_down(struct run *r)
{
	int i;

	for (i = 0; i < r->nslots; i++) {
		if (!slot_running(r->slots[i]))
			continue;
		slot_abandon(r->slots[i]);
		/* After EPIPE nobody reads: slot_free() drops the record. */
		if (!r->stop)
			finish(r, r->slots[i]);
	}
	if (ndjson_writer_drain(r->out) != 0 && !r->stop)
		write_failed(r);
	for (i = 0; i < r->nslots; i++)
		slot_out(r->slots[i], r->out);
}

static void
loop(struct run *r)
{
	int i, n, timeout_ms;

	for (;;) {
		admit(r);
		if (r->stop || sig_stop_requested())
			break;
		if (r->input_done && idle(r))
			break;
		n = watch(r, &timeout_ms);
		if (poll(r->fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			r->status = EXIT_FATAL;
			break;
		}
		if (sig_stop_requested())
			break;
		for (i = 0; i < r->nslots && !r->stop; i++)
			if (slot_step(r->slots[i], clock_monotonic()))
				finish(r, r->slots[i]);
		put_out(r);
		progress_tick();
	}
	wind_down(r);
}

int
extract_run(const struct extract_options *o)
{
	struct run r = { .o = o, .status = EXIT_OK };
	int i;

	r.nslots = o->jobs + o->ocr_jobs;
	r.slots = calloc((size_t)r.nslots, sizeof *r.slots);
	r.fds = calloc((size_t)r.nslots * 2 + 3, sizeof *r.fds);
	r.out = ndjson_writer_new(STDOUT_FILENO, OUT_HIGH_WATER, "records");
	if (r.slots == NULL || r.fds == NULL || r.out == NULL)
		goto nomem;
	for (i = 0; i < r.nslots; i++)
		if ((r.slots[i] = slot_new(o)) == NULL)
			goto nomem;
	if (o->files == NULL) {
		if ((r.reader = ndjson_reader_new(STDIN_FILENO,
		    cli_max_record_bytes)) == NULL)
			goto nomem;
		ndjson_reader_set_nonblocking(r.reader, true);
	}
	loop(&r);
	if (sig_stop_requested() && r.status == EXIT_OK)
		r.status = EXIT_RECORDS;
	goto out;
nomem:
	log_error("out of memory");
	r.status = EXIT_FATAL;
out:
	for (i = 0; r.slots != NULL && i < r.nslots; i++)
		slot_free(r.slots[i]);
	free(r.slots);
	free(r.fds);
	ndjson_reader_free(r.reader);
	ndjson_writer_free(r.out);
	return r.status;
}
