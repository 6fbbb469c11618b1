/*
 * retry — see retry.h.
 */
#include "retry.h"
#include "log.h"
#include "sig.h"

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
