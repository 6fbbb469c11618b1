/*
 * stats — see stats.h.
 */
#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct gz_stats gz_stats;
const double stats_duration_bounds[STATS_DURATION_BUCKETS] = {
	0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300
};

double
clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
stats_start(void)
{
	gz_stats.started = clock_monotonic();
}

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
