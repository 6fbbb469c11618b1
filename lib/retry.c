/*
 * retry — see retry.h.
 */
#include "retry.h"
#include "log.h"
#include "sig.h"

#include <curl/curl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A per-process seed is enough: jitter needs spread, not secrecy. */
static double
random_unit(void)
{
	static unsigned int seed;

	if (seed == 0)
		seed = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	return rand_r(&seed) / ((double)RAND_MAX + 1.0);
}

double
retry_delay(const struct retry_policy *p, int attempt, double retry_after)
{
	double window = p->base * pow(2.0, attempt > 0 ? attempt - 1 : 0);
	double wait;

	if (window > p->cap)
		window = p->cap;
	wait = window * random_unit();
	if (retry_after > wait)
		wait = retry_after;
	if (wait > p->cap)
		wait = p->cap;
	return wait;
}

bool
retry_allowed(const struct retry_policy *p, int attempt)
{
	return attempt < p->max_attempts;
}

bool
retry_http_status(long status)
{
	return status == 408 || status == 429 || status == 500 ||
	    status == 502 || status == 503 || status == 504;
}

bool
retry_curl_code(int curl_code)
{
	switch (curl_code) {
	/* The name or the address may work a moment later (DNS, a server
	 * restarting, a connection refused during a deploy). */
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	/* A TLS handshake cut short by the network, not a bad certificate
	 * (that is CURLE_PEER_FAILED_VERIFICATION, never retried). */
	case CURLE_SSL_CONNECT_ERROR:
	/* A connection or a transfer that took too long (the stall limit). */
	case CURLE_OPERATION_TIMEDOUT:
	/* The connection broke mid-transfer: short body, reset, nothing
	 * back on a reused connection the server had closed. */
	case CURLE_PARTIAL_FILE:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	/* An HTTP/2 stream or connection reset (GOAWAY, RST_STREAM). */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	/* A write callback refused the body: gz-index caps the answer it
	 * keeps, and an answer past the cap is a proxy's error page, not
	 * OpenSearch's; gz-fetch records its own reasons (a full spool, a
	 * file too large) before curl returns this, and judges those first. */
	case CURLE_WRITE_ERROR:
		return true;
	}
	return false;
}

void
http_defaults(void *easy, const char *user_agent,
    const struct http_limits *limits)
{
	CURL *e = easy;

	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (user_agent != NULL)
		curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    limits->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, limits->min_speed);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, limits->stall_seconds);
}

bool
retry_sleep(const struct retry_policy *p, int attempt, double seconds,
    const char *what)
{
	double until = clock_monotonic() + seconds;
	struct pollfd pfd = { .fd = sig_wakeup_fd(), .events = POLLIN };

	log_info("%s; retrying in %.1f s, %d left", what, seconds,
	    p->max_attempts - attempt);
	gz_stats.retries++;
	while (!sig_stop_requested()) {
		double left = until - clock_monotonic();

		if (left <= 0)
			return true;
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, (int)(left * 1000) + 1);
	}
	return false;
}
