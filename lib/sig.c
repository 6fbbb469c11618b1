/*
 * sig — see sig.h.
 */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static int wake_pipe[2] = { -1, -1 };

void
sig_prologue(void)
{
	int fd;

	/* Open /dev/null until it lands above 2: fds 0-2 are then taken. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
}

static void
on_stop_signal(int signo)
{
	int saved = errno;

	caught = signo;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "", 1);
	errno = saved;
}

static void
set_cloexec_nonblock(int fd)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void
sig_install(void)
{
	struct sigaction sa;

	if (wake_pipe[0] < 0 && pipe(wake_pipe) == 0) {
		set_cloexec_nonblock(wake_pipe[0]);
		set_cloexec_nonblock(wake_pipe[1]);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool
sig_stop_requested(void)
{
	return caught != 0;
}

int
sig_caught(void)
{
	return caught;
}

int
sig_wakeup_fd(void)
{
	return wake_pipe[0];
}

void
sig_reraise(void)
{
	int signo = caught;

	if (signo == 0)
		return;
	signal(signo, SIG_DFL);
	raise(signo);
}
