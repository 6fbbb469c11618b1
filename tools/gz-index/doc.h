/*
 * doc — a document on its way to OpenSearch: built from a record (its
 * _bulk action and source lines, its ledger line to be), owned by whoever
 * holds it last: the run, a batch, an upload or the ack, which frees it.
 */
#ifndef GZ_INDEX_DOC_H
#define GZ_INDEX_DOC_H

#include "options.h"
#include "spill.h"

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

struct segment_ref;

struct doc {
	struct doc *next;	/* in the retry or store list */
	jv ledger;		/* the record without source_text */
	jv text;		/* source_text until stored (--store-text) */
	char *id;		/* the document _id */
	long long gid;		/* gazette id to mark, -1 when none */
	char *sum;		/* file_checksum to match, NULL when none */
	char *key;		/* storage key of the .txt (--store-text) */
	char *frag;		/* action + source lines, when in no batch */
	size_t frag_len;
	struct spill_text spill; /* the text left in its file, owned */
	size_t spill_at;	/* where in frag the text goes */
	size_t off;		/* where the lines sit in the batch body */
	int attempts;		/* bulk attempts that answered for this item */
	double not_before;	/* earliest retry, monotonic seconds */
	double read_at;
	int status;		/* the item's HTTP status once acknowledged */
	char result[16];	/* "created", "updated", "written" */
	bool marked;
	bool claimed;		/* the record carries gz.claim (gz-list --claim) */
	struct segment_ref *segment;	/* gz-split's gz.segment, or NULL */
};

/*
 * The document of rec (consumed), or NULL with *error the ledger line of
 * a record that cannot be one.  spill may be NULL; the document owns
 * spill->fd (even on error).
 */
struct doc *doc_new(jv rec, const struct spill_text *spill,
    const struct index_options *o, jv *error);
/* Bytes the document sends, its spilled text included. */
size_t doc_size(const struct doc *d);
void doc_free(struct doc *d);

#endif
