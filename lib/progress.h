/*
 * progress — the periodic progress line and the summary at exit, on the
 * beat that also publishes lib/metrics.  It reads lib/stats, writes through
 * lib/log (which owns stderr, and so the in-place line) and drives
 * lib/metrics; none of them calls back.
 */
#ifndef GZ_PROGRESS_H
#define GZ_PROGRESS_H

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
