/*
 * retry — the one retry policy of gz (gz's style "Retry").
 *
 * Retry only transient failures; wait a random time in
 * [0, min(cap, base * 2^(attempt-1))] ("full jitter", so concurrent
 * transfers do not retry in lockstep); honour a server's Retry-After, but
 * never past the cap; give up after max_attempts.  Callers count attempts
 * and record them in gz.error.attempts.
 */
#ifndef GZ_RETRY_H
#define GZ_RETRY_H

#include <stdbool.h>

struct retry_policy {
	int max_attempts;	/* including the first; 1 = never retry */
	double base;		/* seconds: the first backoff window */
	double cap;		/* seconds: no single wait is longer */
};

#define RETRY_POLICY_DEFAULT { 5, 0.5, 30.0 }

/*
 * Seconds to wait before attempt number attempt + 1, after attempt number
 * attempt (1-based) failed.  retry_after is the server's Retry-After in
 * seconds, or <= 0 when none.
 */
double retry_delay(const struct retry_policy *p, int attempt,
    double retry_after);
/* True when another attempt is allowed after attempt number attempt. */
bool retry_allowed(const struct retry_policy *p, int attempt);
/* HTTP statuses worth another try: 408, 429, 500, 502, 503, 504. */
bool retry_http_status(long status);
/*
 * libcurl result codes worth another try (a CURLcode): the one table every
 * tool uses, each code's reason given where it is defined in retry.c.
 */
bool retry_curl_code(int curl_code);

/*
 * The transport policy of every easy handle gz makes (downloads, _bulk
 * requests, S3 PUTs): http and https only, also after a redirect (a
 * Location: file:// must not read local files); no signals (libcurl's DNS
 * timeout would otherwise raise SIGALRM in a threaded tool); the tool's
 * User-Agent; and limits, so that a silent server cannot hold a run.
 */
struct http_limits {
	long connect_timeout_ms;	/* TCP + TLS handshake */
	long min_speed;		/* bytes/s below which a transfer ... */
	long stall_seconds;	/* ... for this long is abandoned */
};

/* easy is a CURL *; user_agent NULL sends none. */
void http_defaults(void *easy, const char *user_agent,
    const struct http_limits *limits);
/*
 * Sleeps seconds, or less when a stop was requested (lib/sig).  Returns
 * false when interrupted.  Logs "retrying in 4.2 s, 2 left" at info level
 * with what, a description of the failure.
 */
bool retry_sleep(const struct retry_policy *p, int attempt, double seconds,
    const char *what);

#endif
