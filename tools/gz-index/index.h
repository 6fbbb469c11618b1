/*
 * gz-index — what its modules share: the options, a document on its way to
 * OpenSearch, and a batch (one _bulk request body and the documents in it).
 *
 * A document's bytes (its action line and source line) live in exactly one
 * place at a time: in doc->frag while it waits, or inside the body of the
 * batch that holds it.  So memory is bounded by --batch-bytes times the
 * batches alive (--concurrency in flight, one filling, one waiting).
 */
#ifndef GZ_INDEX_H
#define GZ_INDEX_H

#include "retry.h"
#include "xalloc.h"

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

struct index_options {
	const char *url;	/* OpenSearch base URL, no trailing slash */
	const char *pg_url;	/* or PostgreSQL: a URI, or "postgresql:" for
				   the gazettes' database (--db) */
	const char *index;
	const char *user;	/* basic auth, or NULL */
	const char *password;
	const char *cacert;
	bool insecure;
	const char *output;	/* --output FILE: a dry run, nothing sent,
				   stored or marked */
	size_t batch_docs;
	size_t batch_bytes;
	double flush_secs;
	int concurrency;
	bool gzip;
	bool mark;
	bool create_index;
	bool store_text;	/* links; and uploads, unless --output */
	const char *db;		/* --db, or NULL */
	const char *files_endpoint;	/* QUERIDO_DIARIO_FILES_ENDPOINT */
	bool relative_paths;	/* USE_RELATIVE_FILE_PATHS */
	struct retry_policy retry;
	double stop_grace;	/* seconds to finish in-flight work on a stop */
	const char *spill_dir;	/* $TMPDIR: long records and their gzip */
};

/*
 * Input lines longer than this are spilled to a file by lib/ndjson and
 * their source_text is never held in memory (spill.c); shorter ones are
 * parsed in memory, which costs a few times their length for a moment.
 * --batch-bytes, when smaller, lowers it.
 */
#define SPILL_BYTES (1u << 20)

/* source_text's raw JSON string (quotes included) in a spilled line. */
struct spill_text {
	int fd;
	size_t off, len;	/* len 0: none, all is in memory */
};

/* A spilled text inside a batch: it goes at offset at of the body. */
struct text_span {
	size_t at;
	struct spill_text text;
};

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
 * The start of an answer, kept for error messages: CURLOPT_WRITEFUNCTION
 * reply_keep with CURLOPT_WRITEDATA a struct reply (zeroed to start).  The
 * rest of a long answer is read and dropped.
 */
struct reply {
	char body[4096];	/* NUL-terminated */
	size_t len;
};

size_t reply_keep(char *data, size_t size, size_t nmemb, void *arg);

/*
 * What CURLOPT_PRIVATE points at, first member of every transfer on the
 * shared multi handle: bulk requests, and .txt uploads (--store-text).
 */
struct xfer {
	/* NULL for a bulk request; else called when the transfer ended. */
	void (*done)(struct xfer *x, int curl_code, long status,
	    double retry_after);
};

struct batch {
	struct xfer x;
	struct batch *next;	/* in the send queue */
	struct doc **docs;
	size_t n, cap;
	char *body;		/* the _bulk body: every doc's lines in order */
	size_t len, body_cap;
	struct text_span *spans; /* spilled texts read into the body, in order */
	size_t nspans, spans_cap;
	size_t spilled;		/* their total length */
	size_t read_pos;	/* how much of the body curl has read */
	unsigned char *gz;	/* gzip of body (--gzip), built to send */
	size_t gz_len;
	struct spill_text gz_file; /* instead, with spilled text: on disk */
	int attempt;		/* request-level attempts so far */
	double not_before;
	double first_at;	/* when its first document arrived */
	double sent_at;
	void *easy;		/* the transfer while in flight (CURL *) */
	char error[256];	/* libcurl's words for a failed transfer */
	char *resp;		/* response body */
	size_t resp_len, resp_cap;
};

/* options.c: flags, then the environment; exits 2 on a usage error. */
void options_parse(int argc, char **argv, struct index_options *o);

/* spill.c: the record (an object) without source_text, or invalid + why. */
jv spill_scan(int fd, size_t len, size_t limit, struct spill_text *text,
    char *why, size_t why_size);
/* The decoded text (--store-text), or invalid. */
jv spill_read_text(const struct spill_text *text);

/* batch.c: spill may be NULL; the document owns spill->fd (even on error). */
struct doc *doc_new(jv rec, const struct spill_text *spill,
    const struct index_options *o, jv *error);
/* Bytes a document or batch sends, its spilled text included. */
size_t doc_size(const struct doc *d);
size_t batch_size(const struct batch *b);
/* Writes the body, text spliced in, to fd; gzipped with gzip.  0 or -1. */
int batch_write(struct batch *b, int fd, bool gzip);
/* CURLOPT_READFUNCTION and SEEKFUNCTION for a batch with spilled texts. */
size_t batch_read(char *buf, size_t size, size_t nitems, void *arg);
int batch_seek(void *arg, long long offset, int origin);
void doc_free(struct doc *d);
struct batch *batch_new(void);
/* Frees the batch and its body, not the documents. */
void batch_free(struct batch *b);
/* Moves d's lines into the body (d->frag is freed). */
void batch_add(struct batch *b, struct doc *d);
/* Copies document i's lines back into its frag so it can leave the batch. */
void batch_detach(struct batch *b, size_t i);
/* Splits b in halves: b keeps the first, the result holds the second. */
struct batch *batch_split(struct batch *b);
/*
 * Compresses the body into b->gz, or with spilled text into an unlinked
 * file in dir (b->gz_file); false when zlib or the file failed.
 */
bool batch_gzip(struct batch *b, const char *dir);

/* response.c */
struct item_result {
	int status;
	char id[256];
	char result[16];
	char type[96];
	char reason[400];
};
/* Reads every item of a bulk response; false when it is not one for n docs. */
bool response_items(const char *body, size_t len, struct item_result *items,
    size_t n, char *why, size_t size);
/* The error type and reason of a request-level failure body (any shape). */
void response_error(const char *body, size_t len, long status, char *type,
    size_t tsize, char *reason, size_t rsize);

/* bulk.c */
struct bulk;
struct bulk_outcome {
	int curl_code;		/* CURLcode of the transfer */
	long status;		/* HTTP status, 0 when none arrived */
	double retry_after;	/* seconds, 0 when absent */
};
typedef void bulk_done_fn(void *arg, struct batch *b,
    const struct bulk_outcome *out);
struct bulk *bulk_new(const struct index_options *o);
void bulk_free(struct bulk *k);
/* Starts sending b (its gzip when --gzip). */
void bulk_send(struct bulk *k, struct batch *b);
/* Moves transfers on; calls done for each one that finished. */
void bulk_perform(struct bulk *k, bulk_done_fn *done, void *arg);
/* Waits for network activity, input on an extra fd, out_fd taking data
 * (-1: none) or timeout_ms. */
void bulk_wait(struct bulk *k, int *fds, unsigned nfds, int out_fd,
    int timeout_ms);
/* Drops b's transfer, answered or not. */
void bulk_abandon(struct bulk *k, struct batch *b);
int bulk_inflight(const struct bulk *k);
/* Runs another transfer (easy, whose CURLOPT_PRIVATE is x) alongside. */
void bulk_add_other(struct bulk *k, void *easy);
/* Takes it off, finished or not. */
void bulk_remove_other(struct bulk *k, void *easy);
/* What every request to OpenSearch shares: auth, TLS, timeouts. */
void bulk_setup(void *easy, const struct index_options *o);

/* mark.c */
struct mark;
/* Connects and checks the table; NULL with *status = EXIT_USAGE if not. */
struct mark *mark_open(const char *db, const struct retry_policy *retry,
    int *status);
void mark_close(struct mark *m);
/*
 * Marks the documents' gazettes processed with one statement, in two steps
 * so that their ledger lines can be written in between, before anything is
 * committed: mark_begin runs the statement in a transaction it leaves open
 * and sets d->marked for the rows that matched; mark_commit commits it
 * (docs must live until then).  Each returns 0, or EXIT_FATAL when the
 * database failed past the retries (then nothing is left open).
 */
int mark_begin(struct mark *m, struct doc **docs, size_t n);
int mark_commit(struct mark *m);
/*
 * From now on, marks on *conn, the connection on which pgsink left a batch's
 * documents in an open transaction: mark_begin's statement joins it, and
 * mark_commit commits documents and marks together.  A lost connection is
 * then not retried here (the documents went with it): EXIT_FATAL.
 */
struct pg_conn;
void mark_share(struct mark *m, struct pg_conn *const *conn);
/* A claimed gazette failed here or upstream: expire its claim (batched). */
void mark_release(struct mark *m, long long gid);
/* Sends the pending releases when due, or at once with now. */
void mark_settle(struct mark *m, bool now);

/* mapping.c: each returns 0, or the exit status after saying why. */
extern const char mapping_json[];
/* --create-index: creates the index; one that exists is fine. */
int mapping_create(const struct index_options *o);
/* Otherwise: the index must exist (HEAD), else EXIT_USAGE. */
int mapping_check(const struct index_options *o);

#endif
