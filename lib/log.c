/*
 * log — see log.h.
 */
#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct gz_stats gz_stats;
const double stats_duration_bounds[STATS_DURATION_BUCKETS] = {
	0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300
};

static const char *log_name = "gz";
static enum log_level log_level = LOG_LEVEL_INFO;
static bool log_json;
static const char *log_run_id;
static double progress_interval = 5;
static double progress_last;
static double metrics_file_last;
static bool progress_on_tty;
static bool progress_line_open;	/* a TTY progress line awaits erasure */

double
clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Redrawing one line in place works for a process alone at its terminal.
 * Stages typed as a pipeline (gz-list | gz-fetch | ...) share it: four
 * processes redrawing the same line glue their figures together.  So a
 * process with a pipe at either end prints plain lines instead (gz-pipeline
 * draws one status line for the whole run).
 */
static bool
alone_on_tty(void)
{
	struct stat st;
	int fd;

	if (!isatty(STDERR_FILENO))
		return false;
	for (fd = STDIN_FILENO; fd <= STDOUT_FILENO; fd++)
		if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode)))
			return false;
	return true;
}

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_name = slash ? slash + 1 : progname;
	/* gz-pipeline exports a run id so every stage's lines can be joined. */
	log_run_id = getenv("GZ_RUN_ID");
	if (log_run_id && *log_run_id == '\0')
		log_run_id = NULL;
	progress_on_tty = alone_on_tty();
	gz_stats.started = clock_monotonic();
	progress_last = gz_stats.started;
}

const char *
log_progname(void)
{
	return log_name;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

bool
log_set_format(const char *name)
{
	if (strcmp(name, "text") == 0)
		log_json = false;
	else if (strcmp(name, "json") == 0)
		log_json = true;
	else
		return false;
	return true;
}

/* Writes s as the body of a JSON string, escaping what JSON requires. */
static void
json_escape_to(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

static void
erase_progress_line(void)
{
	if (progress_line_open) {
		fputs("\r\033[K", stderr);
		progress_line_open = false;
	}
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char msg[2048];
	int saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	erase_progress_line();
	if (log_json) {
		time_t now = time(NULL);
		char ts[32];

		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		fprintf(stderr, "{\"time\":\"%s\",\"prog\":\"%s\",\"level\":\"%s\"",
		    ts, log_name, names[level]);
		if (log_run_id) {
			fputs(",\"run\":\"", stderr);
			json_escape_to(stderr, log_run_id);
			fputc('"', stderr);
		}
		fputs(",\"msg\":\"", stderr);
		json_escape_to(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		const char *tag = level == LOG_LEVEL_WARN ? "warning: " : "";

		if (log_run_id)
			fprintf(stderr, "%s[%s]: %s%s\n", log_name, log_run_id,
			    tag, msg);
		else
			fprintf(stderr, "%s: %s%s\n", log_name, tag, msg);
	}
	fflush(stderr);
	errno = saved;
}

#define LOG_FN(fn, level) \
	void fn(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(level, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
stats_count_failure(const char *code)
{
	char label[sizeof gz_stats.failures[0].code];
	size_t i;

	gz_stats.records_failed++;
	for (i = 0; code[i] != '\0' && i < sizeof label - 1; i++)
		label[i] = (code[i] >= 'a' && code[i] <= 'z') ||
		    (code[i] >= '0' && code[i] <= '9') || code[i] == '_' ?
		    code[i] : '_';
	label[i] = '\0';
	for (i = 0; i < gz_stats.nfailures; i++)
		if (strcmp(gz_stats.failures[i].code, label) == 0)
			break;
	if (i == gz_stats.nfailures) {
		/* A bounded set of series: the last slot takes the rest. */
		if (i == STATS_FAILURE_CODES - 1)
			snprintf(label, sizeof label, "other");
		if (i == STATS_FAILURE_CODES) {
			i--;
		} else {
			memcpy(gz_stats.failures[i].code, label, sizeof label);
			gz_stats.nfailures++;
		}
	}
	gz_stats.failures[i].count++;
}

void
stats_observe_duration(double seconds)
{
	size_t i;

	for (i = 0; i < STATS_DURATION_BUCKETS; i++)
		if (seconds <= stats_duration_bounds[i])
			break;
	gz_stats.duration_counts[i]++;
	gz_stats.duration_sum += seconds;
	gz_stats.duration_count++;
}

double
stats_elapsed(void)
{
	return clock_monotonic() - gz_stats.started;
}

uint64_t
rss_current_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long size, resident = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t
rss_peak_bytes(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;	/* Linux reports KiB */
}

const char *
format_bytes(double bytes, char *buf, size_t size)
{
	static const char *units[] = { "B", "KB", "MB", "GB", "TB" };
	size_t u = 0;

	while (bytes >= 1000 && u < 4) {
		bytes /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f B", bytes);
	else
		snprintf(buf, size, "%.1f %s", bytes, units[u]);
	return buf;
}

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
	if (progress_interval <= 0 || now - progress_last < progress_interval)
		return;
	progress_last = now;
	metrics_tick();
	if (log_level < LOG_LEVEL_INFO)
		return;
	format_counters(line, sizeof line);
	if (progress_on_tty && !log_json) {
		fprintf(stderr, "\r\033[K%s: %s", log_name, line);
		progress_line_open = true;
		fflush(stderr);
	} else {
		log_info("progress: %s", line);
	}
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
