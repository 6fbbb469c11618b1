/*
 * metrics — see metrics.h.
 */
#include "metrics.h"
#include "config.h"
#include "log.h"
#include "retry.h"
#include "version.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *metrics_file;
static const char *metrics_push_url;

static struct {
	const char *name, *help, *label, *label_value;
	double value;
} report;

void
metrics_configure(const char *file_path, const char *push_url)
{
	metrics_file = file_path;
	metrics_push_url = push_url;
}

struct text {
	char *buf;
	size_t size, len;
};

static void GZ_PRINTF(2, 3)
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < t->size - t->len ? (size_t)n :
		    t->size - t->len - 1;
}

static void
add_metric(struct text *t, const char *name, const char *type,
    const char *help, double value)
{
	text_add(t, "# HELP %s %s\n# TYPE %s %s\n%s{tool=\"%s\"} %.17g\n",
	    name, help, name, type, name, log_progname(), value);
}

/* gz_records_failed_total split by gz.error code (lib/log keeps them). */
static void
add_failures(struct text *t)
{
	const char *name = "gz_record_errors_total";
	size_t i;

	text_add(t, "# HELP %s Records this stage marked with gz.error, by "
	    "code.\n# TYPE %s counter\n", name, name);
	for (i = 0; i < gz_stats.nfailures; i++)
		text_add(t, "%s{tool=\"%s\",code=\"%s\"} %llu\n", name,
		    log_progname(), gz_stats.failures[i].code,
		    (unsigned long long)gz_stats.failures[i].count);
}

static void
add_histogram(struct text *t)
{
	const char *name = "gz_record_duration_seconds";
	uint64_t cumulative = 0;
	size_t i;

	text_add(t, "# HELP %s Time spent on each record by this stage.\n"
	    "# TYPE %s histogram\n", name, name);
	for (i = 0; i < STATS_DURATION_BUCKETS; i++) {
		cumulative += gz_stats.duration_counts[i];
		text_add(t, "%s_bucket{tool=\"%s\",le=\"%g\"} %llu\n", name,
		    log_progname(), stats_duration_bounds[i],
		    (unsigned long long)cumulative);
	}
	cumulative += gz_stats.duration_counts[STATS_DURATION_BUCKETS];
	text_add(t, "%s_bucket{tool=\"%s\",le=\"+Inf\"} %llu\n", name,
	    log_progname(), (unsigned long long)cumulative);
	text_add(t, "%s_sum{tool=\"%s\"} %.17g\n", name, log_progname(),
	    gz_stats.duration_sum);
	text_add(t, "%s_count{tool=\"%s\"} %llu\n", name, log_progname(),
	    (unsigned long long)gz_stats.duration_count);
}

void
metrics_report_gauge(const char *name, const char *help, const char *label,
    const char *label_value, double value)
{
	report.name = name;
	report.help = help;
	report.label = label;
	report.label_value = label_value;
	report.value = value;
}

size_t
metrics_render(char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (report.name != NULL) {
		text_add(&t, "# HELP %s %s\n# TYPE %s gauge\n"
		    "%s{tool=\"%s\",%s=\"%s\"} %.17g\n", report.name,
		    report.help, report.name, report.name, log_progname(),
		    report.label, report.label_value, report.value);
		return t.len;
	}
	add_metric(&t, "gz_records_in_total", "counter",
	    "Records read by this stage.", (double)gz_stats.records_in);
	add_metric(&t, "gz_records_out_total", "counter",
	    "Records written by this stage.", (double)gz_stats.records_out);
	add_metric(&t, "gz_records_failed_total", "counter",
	    "Records this stage marked with gz.error.",
	    (double)gz_stats.records_failed);
	add_metric(&t, "gz_bytes_total", "counter",
	    "Payload bytes moved by this stage.", (double)gz_stats.bytes);
	add_metric(&t, "gz_retries_total", "counter",
	    "Attempts beyond the first.", (double)gz_stats.retries);
	add_metric(&t, "gz_inflight", "gauge",
	    "Work started and not yet finished.", (double)gz_stats.inflight);
	if (gz_stats.has_ocr) {
		add_metric(&t, "gz_ocr_pages_total", "counter",
		    "Pages recognised by OCR.", (double)gz_stats.ocr_pages);
		add_metric(&t, "gz_ocr_seconds_total", "counter",
		    "Seconds documents spent in OCR.", gz_stats.ocr_seconds);
	}
	add_metric(&t, "gz_rss_bytes", "gauge",
	    "Resident set size of the process.", (double)rss_current_bytes());
	add_metric(&t, "gz_peak_rss_bytes", "gauge",
	    "Peak resident set size of the process.",
	    (double)rss_peak_bytes());
	add_metric(&t, "gz_elapsed_seconds", "gauge",
	    "Seconds since the stage started.", stats_elapsed());
	add_failures(&t);
	add_histogram(&t);
	text_add(&t, "# HELP gz_build_info The gz version of this stage "
	    "(--version).\n# TYPE gz_build_info gauge\n"
	    "gz_build_info{tool=\"%s\",version=\"%s\"} 1\n",
	    log_progname(), gz_version);
	return t.len;
}

static void
write_file(const char *text, size_t len)
{
	char tmp[4096];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", metrics_file, (long)getpid());
	if ((f = fopen(tmp, "we")) == NULL) {
		log_warn("metrics file %s: %s", tmp, strerror(errno));
		return;
	}
	ok = fwrite(text, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, metrics_file) != 0) {
		log_warn("metrics file %s: %s", metrics_file, strerror(errno));
		unlink(tmp);
	}
}

/* The pushgateway wants a path-safe instance label: keep it simple. */
static void
instance_name(char *buf, size_t size)
{
	size_t i;

	if (gethostname(buf, size) != 0 || buf[0] == '\0')
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	for (i = 0; buf[i]; i++)
		if (buf[i] == '/' || buf[i] == '?' || buf[i] == '#')
			buf[i] = '_';
}

static const struct http_limits push_limits = { 5000, 1, 5 };

static void
push(const char *text, size_t len)
{
	struct curl_slist *headers = NULL;
	char url[2048], host[256], shown[2048];
	CURL *curl;
	CURLcode rc;
	long status = 0;

	instance_name(host, sizeof host);
	snprintf(url, sizeof url, "%s%smetrics/job/%s/instance/%s%s%s",
	    metrics_push_url,
	    metrics_push_url[strlen(metrics_push_url) - 1] == '/' ? "" : "/",
	    log_progname(), host, report.name ? "/report/" : "",
	    report.name ? report.name : "");
	if ((curl = curl_easy_init()) == NULL)
		return;
	headers = curl_slist_append(headers,
	    "Content-Type: text/plain; version=0.0.4");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	/* A Pushgateway that does not answer must not hold the run. */
	http_defaults(curl, log_progname(), &push_limits);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	/* The URL may hold the Pushgateway's user:password@. */
	if (rc != CURLE_OK)
		log_warn("metrics push to %s: %s", config_redact(
		    metrics_push_url, shown, sizeof shown),
		    curl_easy_strerror(rc));
	else if (status / 100 != 2)
		log_warn("metrics push to %s: HTTP %ld", config_redact(
		    metrics_push_url, shown, sizeof shown), status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
}

static void
publish(void)
{
	char text[8192];
	size_t len;

	if (metrics_file == NULL && metrics_push_url == NULL)
		return;
	len = metrics_render(text, sizeof text);
	if (metrics_file)
		write_file(text, len);
	if (metrics_push_url)
		push(text, len);
}

void
metrics_tick(void)
{
	publish();
}

void
metrics_refresh_file(void)
{
	char text[8192];

	if (metrics_file != NULL)
		write_file(text, metrics_render(text, sizeof text));
}

void
metrics_finish(void)
{
	publish();
}
