/*
 * log — messages on stderr.
 *
 * Owns the one line format every gz tool uses ("gz-fetch: id 4512: http_404
 * after 3 attempts"), the --quiet/--verbose/--log-format switches and the
 * in-place progress line (lib/progress decides when and what).  The run's
 * counters are lib/stats, the progress beat lib/progress: both headers come
 * with this one, since every stage uses the three together.
 *
 * Formats must not end in a newline: the helper adds it.
 */
#ifndef GZ_LOG_H
#define GZ_LOG_H

#include "progress.h"
#include "stats.h"

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
 * A progress line: redrawn in place when this process is alone at its
 * terminal (log_init decides) and the format is text, else an info line
 * "progress: LINE".  The next message erases a line drawn in place.
 */
void log_progress(const char *line);

#endif
