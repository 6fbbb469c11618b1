/*
 * metrics — the run's counters (lib/stats' gz_stats) in Prometheus text
 * exposition format.
 *
 * --metrics-file PATH: rewritten atomically (write a temporary file, rename)
 * every progress beat and at exit, so node_exporter's textfile collector
 * never reads half a file.
 * --metrics-push URL: the same text PUT to a Pushgateway under
 * /metrics/job/<tool>/instance/<host>, the convention for batch jobs.
 */
#ifndef GZ_METRICS_H
#define GZ_METRICS_H

#include <stddef.h>

/* Either may be NULL.  Neither string is copied: they must outlive the run. */
void metrics_configure(const char *file_path, const char *push_url);
/* Renders the exposition text into buf; returns its length (truncated at size). */
size_t metrics_render(char *buf, size_t size);
/* Called by lib/progress on its beat (progress_tick, progress_summary). */
void metrics_tick(void);
/*
 * Rewrites --metrics-file only (never a push): progress_tick() calls it
 * every second, so a reader such as gz-pipeline's status line sees figures
 * at most a second old whatever --progress says.
 */
void metrics_refresh_file(void);
void metrics_finish(void);

/*
 * One-shot reports (gz-list --count) publish this one gauge instead of the
 * run's counters, under a Pushgateway group of its own (.../report/<name>):
 * the same textfile folder or Pushgateway job also holds the tool's runs,
 * whose series must not be duplicated or replaced.  Strings are not copied.
 */
void metrics_report_gauge(const char *name, const char *help,
    const char *label, const char *label_value, double value);

#endif
