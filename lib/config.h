/*
 * config — values from flags, then the environment (DESIGN.md's variable
 * names), parsed strictly, and secrets kept out of anything printed.
 */
#ifndef GZ_CONFIG_H
#define GZ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The flag's value when given, else the variable's when set and non-empty,
 * else fallback. */
const char *config_pick(const char *flag, const char *env_name,
    const char *fallback);

/*
 * Strict number parsing (strtoll with end, errno and range checks).  On
 * failure each returns false and leaves *out alone.
 */
bool config_parse_ll(const char *s, long long min, long long max,
    long long *out);
/* "512", "64K", "10M", "2G" (powers of 1024; "MiB"/"MB" accepted too). */
bool config_parse_size(const char *s, unsigned long long *out);
/* "300", "300s", "2000ms", "30m", "1h"; result in seconds. */
bool config_parse_duration(const char *s, double *out);
/* true/false, yes/no, 1/0, on/off (any case). */
bool config_parse_bool(const char *s, bool *out);

/*
 * A copy of url fit to print: "user:secret@" becomes "user:***@" and
 * password=... query or conninfo values become "***".  Returns buf.
 */
const char *config_redact(const char *url, char *buf, size_t size);

#endif
