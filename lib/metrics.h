/*
 * metrics — the run's counters (lib/log's gz_stats) in Prometheus text
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
/* Called by progress_tick() and progress_summary(). */
void metrics_tick(void);
void metrics_finish(void);

#endif
