/*
 * gz-fetch's modules and what they share:
 *   main.c    main()'s steps
 *   options.c the command line and --help
 *   loop.c    the event loop: records in, transfers, retries, records out
 *   xfer.c    one download over HTTP(S) with libcurl (S3 or file_url)
 *   spool.c   this run's spool folder: atomic files, --spool-limit
 *   source.c  which file a record names, key checks, --source dir copies
 */
#ifndef GZ_FETCH_H
#define GZ_FETCH_H

#include "digest.h"
#include "retry.h"
#include "s3.h"

#include <curl/curl.h>
#include <jv.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum fetch_source { SOURCE_S3, SOURCE_URL, SOURCE_DIR };

struct fetch_options {
	enum fetch_source source;
	bool source_given;		/* --source, not the default */
	char *dir;			/* --source dir:PATH, resolved; owned */
	const char *spool_dir;
	int jobs;
	uint64_t max_size;		/* bytes */
	uint64_t spool_limit;		/* bytes waiting in the spool; 0: none */
	long connect_timeout_ms;
	long min_speed;			/* bytes/s ... */
	long stall_seconds;		/* ... for this long: a stalled transfer */
	long max_redirs;
	struct retry_policy retry;
	struct s3_config s3;		/* --source s3 */
};

/* --- options.c ------------------------------------------------------------ */

/* Flags over the environment; exits 2 on a bad value.  *spool_limit gets
 * --spool-limit's text, or NULL. */
void fetch_options_parse(int argc, char **argv, struct fetch_options *o,
    const char **spool_limit);
/* --spool-limit's value, or its default for where stdout goes. */
uint64_t fetch_spool_limit(const char *arg);

/* --- spool.c --------------------------------------------------------------- */

struct spool;

/* One file being written: a temporary name until spool_file_commit. */
struct spool_file {
	int fd;				/* -1 when closed */
	int dirfd;			/* the run folder (borrowed) */
	uint64_t bytes;
	char tmp[32];			/* the temporary name in dirfd */
	char path[PATH_MAX];		/* the final, absolute name */
	const char *name;		/* its last part, in path */
};

/* A closed file: spool_file_abort on it does nothing. */
#define SPOOL_FILE_INIT { -1, -1, 0, "", "", NULL }

/*
 * Opens the spool dir (made 0700 if missing; refused, errno EPERM, when it
 * fails the ownership rule), removes the folders of runs that are over and
 * makes this run's.  NULL with why when the spool cannot be used.
 */
struct spool *spool_open(const char *dir, uint64_t limit, char *why,
    size_t size);
/* Ends this run's hold on its folder (removed when nothing waits in it);
 * files still open must be aborted first. */
void spool_close(struct spool *s);
/* This run's folder. */
const char *spool_path(const struct spool *s);

/* Opens a new temporary file for record id with suffix ext ("" for none).
 * false with errno set. */
bool spool_file_open(struct spool *s, struct spool_file *f, long long id,
    const char *ext);
/* 0, or -1 with errno (ENOSPC: the disk is full). */
int spool_file_write(struct spool_file *f, const void *buf, size_t len);
/* Back to an empty file, for a download that starts over. */
int spool_file_restart(struct spool_file *f);
/* fsync, close, rename to f->path; -1 with errno (the file is removed). */
int spool_file_commit(struct spool *s, struct spool_file *f);
/* Close and remove the temporary file (safe on a closed one). */
void spool_file_abort(struct spool_file *f);
/*
 * --spool-limit: true while the committed files downstream has not deleted
 * yet add up to the limit or more (rechecked at most every 0.2 s).
 */
bool spool_full(struct spool *s);
uint64_t spool_waiting(const struct spool *s);

/* --- source.c -------------------------------------------------------------- */

/*
 * What a record asks for: its file_path (s3, dir) or file_url (url) into
 * *what (borrowed from rec).  false with an error code and message when the
 * record names nothing usable (no_file_path, bad_path, bad_url...).
 */
bool source_target(const struct fetch_options *o, jv rec, const char **what,
    const char **code, char *why, size_t size);
/*
 * How gz-fetch takes a record, the one place it reads the record's gz
 * member: SOURCE_PASS for a record an earlier stage failed (written on as
 * it is), SOURCE_FAIL with code and why for one that fails here at once
 * (bad_record, *rec then without its malformed gz members; or what
 * source_target says), SOURCE_FETCH with *what (borrowed from *rec) to
 * fetch.  *rec stays the caller's.
 */
enum source_intake { SOURCE_PASS, SOURCE_FAIL, SOURCE_FETCH };
enum source_intake source_intake(const struct fetch_options *o, jv *rec,
    const char **what, const char **code, char *why, size_t size);
/* The name's suffix, lowercased, if short and alphanumeric, else "" (a
 * URL's query and fragment are not part of its name). */
const char *source_extension(const char *name, bool url, char *buf,
    size_t size);
/* --source dir:PATH: the mirror's real path (malloc'd), or NULL when it is
 * not a folder. */
char *source_mirror(const char *path);
/* The 32-hex MD5 in file_checksum, lowercased into want[33], or "". */
void source_checksum(jv rec, char want[33]);
/*
 * --source dir: copies key under o->dir into f.  Returns NULL on success,
 * else an error code with why.
 */
const char *source_copy(const struct fetch_options *o, const char *key,
    struct spool_file *f, struct md5_ctx *md5, char *why, size_t size);

/* --- xfer.c ---------------------------------------------------------------- */

enum xfer_fail {
	XFER_OK,
	XFER_TOO_LARGE,		/* header or byte count past --max-size */
	XFER_DISK_FULL,		/* ENOSPC/EDQUOT writing the spool */
	XFER_WRITE,		/* another spool write error */
	XFER_RANGE		/* a 206 that does not continue our file */
};

/* One record's download, from its first attempt to its last. */
struct fetch_job {
	struct fetch_job *next;
	jv rec;
	char desc[80];			/* "id 4512", for messages */
	char *target;			/* file_path or file_url; owned */
	char want_md5[33];		/* "" when file_checksum is not an MD5 */
	struct spool_file file;
	struct md5_ctx md5;
	CURL *easy;			/* while in flight */
	struct curl_slist *headers;
	uint64_t max_size;		/* --max-size, for the callbacks */
	int attempts;
	double started;			/* first attempt, monotonic */
	double not_before;		/* a retry waits until then */
	char if_match[160];		/* strong ETag of the bytes in file, when
					 * the server takes ranges: resumable */
	/* the current attempt */
	long status;			/* of the last response seen */
	int64_t length;			/* the whole file's size, or -1 */
	enum xfer_fail fail;
	int fail_errno;
	char body[1024];		/* the start of an error answer */
	size_t body_len;
	char curl_error[CURL_ERROR_SIZE];
	/* the headers of the response being read */
	int64_t h_length, h_start, h_total;
	bool h_ranges;
	char h_etag[160];
	char h_region[64];		/* x-amz-bucket-region */
};

/* What a finished attempt comes to. */
struct xfer_result {
	bool ok;
	bool retry;			/* another attempt is due after delay */
	bool retryable;			/* for gz.error.retryable */
	bool transport;			/* could not reach or hear the server */
	bool fatal;			/* the spool's disk is full */
	bool misconfigured;		/* the storage's answer shows STORAGE_*
					 * is wrong: message says what to fix */
	bool quiet;			/* no warning of its own (the run's one
					 * message covers it) */
	double delay;
	char code[64];			/* gz.error.code */
	char message[512];
};

/* Sets job->easy (a reset handle) up for the job's next attempt. */
bool xfer_setup(const struct fetch_options *o, struct fetch_job *job, char *why,
    size_t size);
/*
 * Judges a finished attempt (rc is curl's code for it); with --source s3,
 * health follows the storage's answers (lib/s3's s3_health_judge) and
 * r->misconfigured says the configuration cannot work.  On a retry the
 * spool file is already rewound: kept for a Range request when the server
 * allows one, emptied otherwise.
 */
void xfer_finish(const struct fetch_options *o, struct fetch_job *job,
    CURLcode rc, struct s3_health *health, struct xfer_result *r);
/* The download is complete: checksum, then the file's final name. */
void xfer_complete(struct spool *s, struct fetch_job *job, struct xfer_result *r);

/* --- loop.c ---------------------------------------------------------------- */

/* Reads records from stdin until EOF (or a stop); returns the exit status. */
int fetch_run(const struct fetch_options *o, struct spool *spool);

#endif
