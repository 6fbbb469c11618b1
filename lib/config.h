/*
 * config — values from flags, then the environment (gz(7)'s variable
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
 * Where the secrets are in a URL or a libpq conninfo: the password of
 * user:password@ (all of the userinfo when it has no colon: a token,
 * except in a postgres:// or postgresql:// URI, where it is the user), the
 * values of query parameters or conninfo keywords whose names say secret
 * (password, token, key, signature, ...), and, in a conninfo libpq's
 * grammar does not fit, everything from the first word that is not
 * key=value.  Byte ranges [start, end) of s, in order; at most max.  With
 * max 0 it only counts them (spans may then be NULL).
 */
#define CONFIG_MAX_SPANS 16
struct config_span {
	size_t start, end;
};
size_t config_secret_spans(const char *s, struct config_span *spans,
    size_t max);

/*
 * A copy of url (or of a conninfo) fit to print: each secret span becomes
 * "***", so "https://gz:pw@host/" is "https://gz:***@host/".  Every
 * message that names a URL goes through here.  Returns buf.
 */
const char *config_redact(const char *url, char *buf, size_t size);
/*
 * Overwrites the secret spans of a command-line argument with '*' in place,
 * so that ps and /proc/PID/cmdline stop showing them (they did from exec
 * until this call: the environment is the safer way in).
 */
void config_hide_arg(char *arg);
/*
 * For --db, --url and --metrics-push: a copy of arg that lives as long as
 * the process, arg itself hidden with config_hide_arg().
 */
const char *config_secret_arg(char *arg);

#endif
