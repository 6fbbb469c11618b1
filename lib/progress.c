/*
 * progress — see progress.h.
 */
#include "progress.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>

static double progress_interval = 5;
static double progress_last;		/* 0: the first tick starts the beat */
static double metrics_file_last;

static void
format_counters(char *buf, size_t size)
{
	double secs = stats_elapsed();
	char moved[32], rss[32];

	snprintf(buf, size,
	    "%llu in, %llu out, %llu failed, %s, %.1f rec/s, rss %s",
	    (unsigned long long)gz_stats.records_in,
	    (unsigned long long)gz_stats.records_out,
	    (unsigned long long)gz_stats.records_failed,
	    format_bytes((double)gz_stats.bytes, moved, sizeof moved),
	    secs > 0 ? gz_stats.records_out / secs : 0.0,
	    format_bytes((double)rss_current_bytes(), rss, sizeof rss));
}

void
progress_set_interval(double seconds)
{
	progress_interval = seconds;
}

void
progress_tick(void)
{
	double now = clock_monotonic();
	char line[256];

	if (now - metrics_file_last >= 1) {
		metrics_file_last = now;
		metrics_refresh_file();
	}
	if (progress_last == 0)
		progress_last = gz_stats.started;
	if (progress_interval <= 0 || now - progress_last < progress_interval)
		return;
	progress_last = now;
	metrics_tick();
	if (log_get_level() < LOG_LEVEL_INFO)
		return;
	format_counters(line, sizeof line);
	/* OCR is slow: a long scan shows its pages going by. */
	if (gz_stats.has_ocr && gz_stats.ocr_pages > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    ", %llu pages recognised",
		    (unsigned long long)gz_stats.ocr_pages);
	log_progress(line);
}

void
progress_summary(const char *extra)
{
	char line[256];

	metrics_finish();
	format_counters(line, sizeof line);
	log_info("done: %s, %.1f s%s%s", line, stats_elapsed(),
	    extra && *extra ? ", " : "", extra ? extra : "");
}
