/*
 * segment — the accounting of gazettes gz-split cut into segments.
 *
 * gz-split sends an association gazette as its parent (gz.segment index
 * 0: its .txt is stored, nothing is indexed) and then count segments
 * (index 1..count), each its own document.  The gazette's row may be
 * marked processed only once all count + 1 are acknowledged: the document
 * whose acknowledgement completes the set takes the parent's id and
 * file_checksum, so the row is marked in that document's transaction and
 * its ledger line says "marked": true; the others say false.  One failure
 * and the row is never marked by this run (the next run lists it again).
 */
#ifndef GZ_INDEX_SEGMENT_H
#define GZ_INDEX_SEGMENT_H

#include <jv.h>
#include <stdbool.h>

struct doc;

struct segment_ref {
	long long parent_id;
	char *parent_sum;	/* the gazette's file_checksum, or NULL */
	long long index, count;
	char *text_key;		/* {territory_id}/{date}/{checksum}.txt */
	bool marks_parent;	/* its acknowledgement completed the set */
};

/*
 * The gz.segment of rec (borrowed), or NULL when it has none or it is
 * malformed (then *why says what is wrong and the caller fails the record).
 * Registers the segment with its parent's set.
 */
struct segment_ref *segment_ref_new(jv rec, char *why, size_t size,
    bool *bad);
void segment_ref_free(struct segment_ref *s);
/* The parent: stored, never indexed. */
bool segment_is_parent(const struct doc *d);
/*
 * d was acknowledged: when it completes its parent's set, d takes the
 * parent's id and checksum to be marked; else d is not marked.  Call
 * before marking.  No-op for a document that is not a segment.
 */
void segment_acknowledged(struct doc *d);
/* d failed or was dropped: its parent is not marked by this run. */
void segment_failed(struct doc *d);
/* Whether marking d may mark a row (false for a segment that does not
 * complete its set). */
bool segment_markable(const struct doc *d);
void segment_free_all(void);

#endif
