/*
 * spawn — see spawn.h.  _GNU_SOURCE for pipe2, close_range, strcasestr,
 * sigabbrev_np, syscall and the CPU_* affinity macros.
 */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Marks an exec failure on the child's stderr, for spawn_outcome(). */
#define EXEC_FAILED "exec failed: "

/* Only write(2) between fork and exec: the child must not touch stdio. */
static void
child_say(const char *a, const char *b, const char *c)
{
	(void)!write(STDERR_FILENO, a, strlen(a));
	(void)!write(STDERR_FILENO, b, strlen(b));
	(void)!write(STDERR_FILENO, c, strlen(c));
	(void)!write(STDERR_FILENO, "\n", 1);
}

/* Sets a limit, never asking for more than the hard limit we already have. */
static void
child_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY) {
		if (hard > rl.rlim_max)
			hard = rl.rlim_max;
		if (soft > rl.rlim_max)
			soft = rl.rlim_max;
	}
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	setrlimit(resource, &rl);
}

static void
child_limits(const struct spawn_limits *l, bool address_space)
{
	child_limit(RLIMIT_CORE, 0, 0);
	if (address_space && l->memory > 0)
		child_limit(RLIMIT_AS, l->memory, l->memory);
	if (l->cpu_seconds > 0)
		child_limit(RLIMIT_CPU, l->cpu_seconds, l->cpu_seconds + 1);
	child_limit(RLIMIT_FSIZE, l->file_size, l->file_size);
	if (l->open_files > 0)
		child_limit(RLIMIT_NOFILE, l->open_files, l->open_files);
}

/*
 * Everything the child does before exec (or before running fn): its own
 * process group, so a timeout can kill grandchildren too and the terminal's
 * ^C reaches only us; signals back to default and unblocked, since an
 * ignored SIGPIPE would survive exec; stdin from /dev/null (as xargs does);
 * the pipes on 1 and 2; nothing else open.
 */
static void
child_setup(int in_r, int out_w, int err_w, const struct spawn_limits *l,
    bool address_space)
{
	struct sigaction sa;
	sigset_t all;
	int fd, sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		_exit(126);
	if (in_r >= 0) {
		if (dup2(in_r, STDIN_FILENO) < 0)
			_exit(126);
	} else if ((fd = open("/dev/null", O_RDONLY)) < 0 ||
	    dup2(fd, STDIN_FILENO) < 0) {
		child_say("spawn: ", "/dev/null: ", strerror(errno));
		_exit(126);
	}
	if (close_range(3, ~0U, 0) != 0)
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	child_limits(l, address_space);
}

/* The child's last words when execve failed: exit 127 or 126, as xargs. */
static void
exec_failed(const char *path, int e)
{
	child_say(EXEC_FAILED, path, e == ENOENT ?
	    ": No such file or directory" : e == ENOMEM ?
	    ": Cannot allocate memory" : e == EACCES ?
	    ": Permission denied" : ": cannot execute");
	_exit(e == ENOENT ? 127 : 126);
}

static int
make_pipes(int out[2], int err[2])
{
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) != 0) {
		int saved = errno;

		close(out[0]);
		close(out[1]);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Parent side after fork: keep the read ends, non-blocking, for poll. */
static int
parent_side(struct spawn_child *c, pid_t pid, int out[2], int err[2])
{
	int saved = errno;

	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		errno = saved;
		return -1;
	}
	/* Also here: a kill(-pid) must work before the child runs. */
	setpgid(pid, pid);
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	c->pid = pid;
	c->in = -1;
	c->out = out[0];
	c->err = err[0];
	c->reaped = false;
	c->status = 0;
	c->pidfd = -1;
#ifdef SYS_pidfd_open
	/* pidfds are close-on-exec from birth; ENOSYS leaves -1. */
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	return 0;
}

int
spawn_exec(struct spawn_child *c, const char *path, char *const argv[],
    char *const envp[], const struct spawn_limits *limits)
{
	int out[2], err[2];
	pid_t pid;

	if (make_pipes(out, err) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		child_setup(-1, out[1], err[1], limits, true);
		execve(path, argv, envp);
		exec_failed(path, errno);
	}
	return parent_side(c, pid, out, err);
}

int
spawn_exec_fed(struct spawn_child *c, const char *path, char *const argv[],
    char *const envp[], const struct spawn_limits *limits)
{
	int in[2], out[2], err[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (make_pipes(out, err) != 0) {
		int saved = errno;

		close(in[0]);
		close(in[1]);
		errno = saved;
		return -1;
	}
	if ((pid = fork()) == 0) {
		child_setup(in[0], out[1], err[1], limits,
		    !spawn_sanitized());
		execve(path, argv, envp);
		exec_failed(path, errno);
	}
	close(in[0]);
	if (parent_side(c, pid, out, err) != 0) {
		close(in[1]);
		return -1;
	}
	c->in = in[1];
	return 0;
}

bool
spawn_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#endif
#endif
	return false;
}

int
spawn_fork(struct spawn_child *c, int (*fn)(void *), void *arg,
    const struct spawn_limits *limits)
{
	bool address_space = !spawn_sanitized();
	int out[2], err[2];
	pid_t pid;

	if (make_pipes(out, err) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		child_setup(-1, out[1], err[1], limits, address_space);
		_exit(fn(arg) & 0xFF);
	}
	return parent_side(c, pid, out, err);
}

void
spawn_kill(struct spawn_child *c)
{
	if (c->pid <= 0 || c->reaped)
		return;
	if (kill(-c->pid, SIGKILL) != 0)
		kill(c->pid, SIGKILL);
}

bool
spawn_reap(struct spawn_child *c, bool wait)
{
	siginfo_t si;
	int status = 0, rc;

	if (c->reaped || c->pid <= 0)
		return true;
	memset(&si, 0, sizeof si);
	/* WNOWAIT: the zombie keeps its process group id from being reused
	 * while we kill whatever is left in the group. */
	do
		rc = waitid(P_PID, (id_t)c->pid, &si,
		    WEXITED | WNOWAIT | (wait ? 0 : WNOHANG));
	while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		/* ECHILD: not ours to wait for any more. */
		c->status = 255 << 8;
		c->reaped = true;
		if (c->pidfd >= 0)
			close(c->pidfd);
		c->pidfd = -1;
		return true;
	}
	if (si.si_pid == 0)
		return false;
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->status = status;
	c->reaped = true;
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	return true;
}

void
spawn_close(struct spawn_child *c)
{
	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	c->in = c->out = c->err = -1;
}

/* Messages of programs that ran out of address space (see spawn.h). */
static bool
says_out_of_memory(const char *text)
{
	static const char *const words[] = {
		"out of memory", "bad_alloc", "cannot allocate memory",
		"memory allocation failed", "memory exhausted",
		"failed to map segment", "not enough memory",
	};
	size_t i;

	if (text == NULL)
		return false;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasestr(text, words[i]) != NULL)
			return true;
	return false;
}

enum spawn_outcome
spawn_outcome(int status, const char *err_text)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SPAWN_OK;
	if (says_out_of_memory(err_text))
		return SPAWN_MEMORY;
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGXCPU)
			return SPAWN_CPU_LIMIT;
		if (WTERMSIG(status) == SIGXFSZ)
			return SPAWN_FILE_LIMIT;
		return SPAWN_CRASHED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	    err_text != NULL && strstr(err_text, EXEC_FAILED) != NULL)
		return SPAWN_NOT_FOUND;
	return SPAWN_FAILED;
}

const char *
spawn_status_string(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		if (name != NULL)
			snprintf(buf, size, "killed by SIG%s", name);
		else
			snprintf(buf, size, "killed by signal %d",
			    WTERMSIG(status));
	} else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

int
spawn_cpu_count(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
