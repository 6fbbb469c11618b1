/*
 * ack — acknowledged batches: marked in a transaction, their ledger lines
 * queued, committed once the lines are out (see ack.h for the contract).
 */
#include "ack.h"
#include "fate.h"
#include "doc.h"
#include "mark.h"
#include "cli.h"
#include "ledger.h"
#include "log.h"
#include "pgsink.h"
#include "rec.h"
#include "segment.h"
#include "version.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct ack_batch {
	struct ack_batch *next;
	struct doc **docs;
	size_t n;
};

struct ack {
	struct mark *mark;		/* NULL with --no-mark */
	bool mark_broken;		/* the database failed past retries */
	struct pgsink *pg;		/* documents stored on the marking's */
	bool pg_shared;			/* ... connection, or NULL and false */
	const struct fate *fate;
	struct ack_batch *open;		/* its transaction open, lines queued */
	uint64_t ticket;		/* the open batch's last line */
	struct ack_batch *head, **tail;	/* waiting, oldest first */
	size_t waiting;
};

struct ack *
ack_new(struct mark *mark, const struct fate *fate)
{
	struct ack *a = xcalloc(1, sizeof *a);

	a->mark = mark;
	a->fate = fate;
	a->tail = &a->head;
	return a;
}

void
ack_set_pgsink(struct ack *a, struct pgsink *pg, bool shared)
{
	a->pg = pg;
	a->pg_shared = shared;
}

void
ack_release(struct ack *a, long long gid)
{
	if (a->mark != NULL && !a->mark_broken)
		mark_release(a->mark, gid);
}

void
ack_settle(struct ack *a, bool now)
{
	if (a->mark != NULL && !a->mark_broken)
		mark_settle(a->mark, now);
}

static void
free_batch(struct ack_batch *ab)
{
	size_t i;

	if (ab == NULL)
		return;
	for (i = 0; i < ab->n; i++)
		if (ab->docs[i] != NULL)
			doc_free(ab->docs[i]);
	free(ab->docs);
	free(ab);
}

void
ack_free(struct ack *a)
{
	struct ack_batch *ab;

	if (a == NULL)
		return;
	free_batch(a->open);
	while ((ab = a->head) != NULL) {
		a->head = ab->next;
		free_batch(ab);
	}
	free(a);
}

bool
ack_full(const struct ack *a)
{
	return a->waiting >= ACK_WAITING_MAX;
}

bool
ack_idle(const struct ack *a)
{
	return a->open == NULL && a->head == NULL;
}

/* d's ledger line: the record with gz.index, counted as indexed. */
static void
put_indexed(struct ack *a, struct doc *d)
{
	jv ix = jv_object_set(jv_object(), jv_string("_id"),
	    jv_string(d->id));

	ix = jv_object_set(ix, jv_string("status"),
	    d->status ? jv_number(d->status) : jv_null());
	ix = jv_object_set(ix, jv_string("result"), jv_string(d->result));
	ix = jv_object_set(ix, jv_string("version"), jv_string(gz_version));
	if (a->mark != NULL)
		ix = jv_object_set(ix, jv_string("marked"),
		    jv_bool(d->marked));
	d->ledger = rec_gz_set(d->ledger, "index", ix);
	if (a->mark != NULL && !d->marked && d->gid >= 0 &&
	    segment_markable(d))
		log_warn("id %lld: indexed but not marked: its row is gone or "
		    "its file_checksum changed since it was listed", d->gid);
	ledger_indexed(d->marked);
	stats_observe_duration(clock_monotonic() - d->read_at);
	gz_stats.inflight--;
	fate_put_line(a->fate, jv_copy(d->ledger));
}

/*
 * Runs the batch's marking statement in a transaction left open and queues
 * its lines; it is then the open batch, unless nothing is to be committed
 * (no marking, or marking failed: its documents failed with mark_failed).
 */
static void
open_batch(struct ack *a, struct ack_batch *ab)
{
	bool mark_failed = false;
	size_t i;

	/* gz-split: the segment completing its set marks the gazette. */
	for (i = 0; i < ab->n; i++)
		segment_acknowledged(ab->docs[i]);
	/* Once the database failed past its retries, don't wait on it again. */
	if (a->mark != NULL && (a->mark_broken ||
	    mark_begin(a->mark, ab->docs, ab->n) != 0)) {
		mark_failed = a->mark_broken = true;
		fate_fatal(a->fate, EXIT_FATAL, "interrupted", "stopping: "
		    "nothing more can be marked processed");
	}
	if (mark_failed && a->pg_shared)
		pgsink_rollback(a->pg);
	for (i = 0; i < ab->n; i++) {
		if (mark_failed) {
			fate_fail(a->fate, ab->docs[i], "mark_failed",
			    a->pg_shared ? "neither stored nor marked "
			    "processed: the database failed" : "indexed, but "
			    "the database could not mark it processed", 0,
			    true);
			ab->docs[i] = NULL;
			continue;
		}
		put_indexed(a, ab->docs[i]);
	}
	if (mark_failed || a->mark == NULL) {
		free_batch(ab);
		return;
	}
	a->open = ab;
	a->ticket = ledger_ticket();
}

/* The open batch's lines are out (or stdout failed): commit its marks. */
static void
commit_open(struct ack *a)
{
	struct ack_batch *ab = a->open;

	a->open = NULL;
	if (mark_commit(a->mark) != 0) {
		a->mark_broken = true;
		fate_fatal(a->fate, EXIT_FATAL, "interrupted", "stopping: "
		    "the last %zu ledger lines that say marked are not%s: "
		    "their marks could not be committed, and a rerun lists "
		    "them again",
		    ab->n, a->pg_shared ? ", nor are their documents stored" :
		    "");
	}
	free_batch(ab);
}

void
ack_progress(struct ack *a)
{
	struct ack_batch *ab;

	for (;;) {
		if (a->open != NULL) {
			(void)ledger_flush(false);	/* the loop sees errors */
			if (ledger_errno() == 0 && !ledger_out(a->ticket))
				return;
			commit_open(a);
		}
		if ((ab = a->head) == NULL)
			return;
		if ((a->head = ab->next) == NULL)
			a->tail = &a->head;
		a->waiting--;
		open_batch(a, ab);
	}
}

void
ack_add(struct ack *a, struct doc **docs, size_t n)
{
	struct ack_batch *ab;

	if (n == 0)
		return;
	ab = xcalloc(1, sizeof *ab);
	ab->docs = xmalloc(n * sizeof *ab->docs);
	memcpy(ab->docs, docs, n * sizeof *docs);
	ab->n = n;
	*a->tail = ab;
	a->tail = &ab->next;
	a->waiting++;
	ack_progress(a);
}

void
ack_finish(struct ack *a)
{
	while (!ack_idle(a)) {
		(void)ledger_flush(true);	/* a failure commits the rest */
		ack_progress(a);
	}
}
