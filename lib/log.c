/*
 * log — see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_name = "gz";
static enum log_level log_level = LOG_LEVEL_INFO;
static bool log_json;
static const char *log_run_id;
static bool progress_on_tty;
static bool progress_line_open;	/* a TTY progress line awaits erasure */

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
	stats_start();
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
log_progress(const char *line)
{
	if (progress_on_tty && !log_json) {
		fprintf(stderr, "\r\033[K%s: %s", log_name, line);
		progress_line_open = true;
		fflush(stderr);
	} else {
		log_info("progress: %s", line);
	}
}
