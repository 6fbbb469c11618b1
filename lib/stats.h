/*
 * stats — the run's counters, its clock and the process's memory: what
 * progress lines (lib/progress), the summary and lib/metrics read, and what
 * the tools and lib/rec bump.  It calls nothing of gz's, so every module may
 * use it.
 */
#ifndef GZ_STATS_H
#define GZ_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Run statistics, one set per process.  Tools bump the counters; progress,
 * the summary and the metrics file read them.
 */
#define STATS_DURATION_BUCKETS 10
#define STATS_FAILURE_CODES 32

struct gz_stats {
	uint64_t records_in;	/* records read (or produced, for gz-list) */
	uint64_t records_out;	/* records written */
	uint64_t records_failed; /* records this stage gave a gz.error
				    (counted by lib/rec, whatever the cause) */
	uint64_t bytes;		/* payload bytes this stage moved */
	uint64_t retries;	/* attempts beyond the first */
	int64_t inflight;	/* work started and not finished */
	uint64_t ocr_pages;	/* gz-extract: pages recognised by OCR */
	double ocr_seconds;	/* ... and the seconds documents spent in it */
	int has_ocr;		/* gz-extract: report the two above */
	double started;		/* monotonic seconds at log_init */
	/* per-record durations; bounds in stats_duration_bounds */
	uint64_t duration_counts[STATS_DURATION_BUCKETS + 1];
	double duration_sum;
	uint64_t duration_count;
	/* records_failed by gz.error code, for gz_record_errors_total; codes
	 * past STATS_FAILURE_CODES distinct ones count under "other" */
	struct stats_failure {
		char code[48];
		uint64_t count;
	} failures[STATS_FAILURE_CODES];
	size_t nfailures;
};
extern struct gz_stats gz_stats;
extern const double stats_duration_bounds[STATS_DURATION_BUCKETS];

void stats_observe_duration(double seconds);
/*
 * One record this stage gave a gz.error with code: records_failed and the
 * code's own count (lib/rec calls it; nothing else should).  A code is kept
 * as a metric label: bytes outside [a-z0-9_] become '_'.
 */
void stats_count_failure(const char *code);
double clock_monotonic(void);
/* Starts the run's clock (log_init does, first thing). */
void stats_start(void);
/* Seconds since stats_start. */
double stats_elapsed(void);
/* Resident set size of this process, now and at its peak, in bytes. */
uint64_t rss_current_bytes(void);
uint64_t rss_peak_bytes(void);

/* A human figure: "12.3 MB". Returns buf. */
const char *format_bytes(double bytes, char *buf, size_t size);

#endif
