/*
 * log — messages, progress and run statistics on stderr.
 *
 * Owns the one line format every gz tool uses ("gz-fetch: id 4512: http_404
 * after 3 attempts"), the --quiet/--verbose/--log-format switches, the
 * periodic progress line and the summary at exit, and the counters that
 * progress, the summary and lib/metrics all read.
 *
 * Formats must not end in a newline: the helper adds it.
 */
#ifndef GZ_LOG_H
#define GZ_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define GZ_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_init(const char *progname);
const char *log_progname(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Returns false for an unknown format name ("text" and "json" are known). */
bool log_set_format(const char *name);

void log_error(const char *fmt, ...) GZ_PRINTF(1, 2);
void log_warn(const char *fmt, ...) GZ_PRINTF(1, 2);
void log_info(const char *fmt, ...) GZ_PRINTF(1, 2);
void log_debug(const char *fmt, ...) GZ_PRINTF(1, 2);

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
double stats_elapsed(void);
/* Resident set size of this process, now and at its peak, in bytes. */
uint64_t rss_current_bytes(void);
uint64_t rss_peak_bytes(void);

/* A human figure: "12.3 MB". Returns buf. */
const char *format_bytes(double bytes, char *buf, size_t size);

/*
 * Progress: call progress_tick() often; it prints a line at most every
 * interval seconds (0 disables), redrawing in place when stderr is a TTY
 * and neither stdin nor stdout is a pipe (a stage alone at a terminal, not
 * one of several sharing it), pushes metrics on the same beat, and rewrites
 * the metrics file every second.
 */
void progress_set_interval(double seconds);
void progress_tick(void);
/* One closing line: the counters plus the tool's own words in extra. */
void progress_summary(const char *extra);

#endif
