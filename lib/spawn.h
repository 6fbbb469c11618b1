/*
 * spawn — running a converter as a child process the way gz's style "Child
 * processes" says: fork + execve with an argument vector (never a shell),
 * in its own process group, stdin from /dev/null, stdout and stderr on two
 * pipes, resource limits, default signal dispositions and mask, a minimal
 * environment, and no inherited descriptors beyond 0-2.
 *
 * The parent side gets non-blocking O_CLOEXEC read ends to poll, and a
 * pidfd to poll for the child's exit (so an event loop needs neither a
 * SIGCHLD handler nor a timer between a child's last write and its exit),
 * kills the whole group (so a grandchild can't outlive a timeout), reaps
 * without blocking, and turns the wait status plus what the child said on
 * stderr into an outcome a tool maps to its gz.error codes.
 */
#ifndef GZ_SPAWN_H
#define GZ_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_limits {
	unsigned long long memory;	/* RLIMIT_AS in bytes; 0: unlimited */
	unsigned long cpu_seconds;	/* RLIMIT_CPU soft; hard +1; 0: none */
	unsigned long long file_size;	/* RLIMIT_FSIZE in bytes */
	unsigned long open_files;	/* RLIMIT_NOFILE; 0 leaves it alone */
};

struct spawn_child {
	pid_t pid;	/* also its process group id; -1 when none */
	int in;		/* write end of its stdin (spawn_exec_fed), or -1 */
	int out;	/* read end of its stdout, or -1 once closed */
	int err;	/* read end of its stderr, or -1 once closed */
	int pidfd;	/* readable once it exits (Linux 5.3+), or -1 */
	bool reaped;
	int status;	/* waitpid status, once reaped */
};

/* A spawn_child with no process and no descriptors. */
#define SPAWN_CHILD_INIT { .pid = -1, .in = -1, .out = -1, .err = -1, \
	.pidfd = -1, .reaped = false, .status = 0 }

/*
 * Starts path (absolute) with argv and envp.  Exec failures show up as exit
 * 127 (not found) or 126 (anything else) with a line on its stderr, as with
 * xargs.  Returns 0, or -1 with errno set (pipe or fork failed).
 */
int spawn_exec(struct spawn_child *c, const char *path, char *const argv[],
    char *const envp[], const struct spawn_limits *limits);
/*
 * spawn_exec with a pipe on the child's stdin instead of /dev/null: c->in is
 * its write end (blocking, close-on-exec), for a long-lived child fed
 * requests.  Meant for the tool's own binary run again: under
 * AddressSanitizer RLIMIT_AS is left alone, as with spawn_fork.
 */
int spawn_exec_fed(struct spawn_child *c, const char *path,
    char *const argv[], char *const envp[], const struct spawn_limits *limits);
/* True in an AddressSanitizer build: no RLIMIT_AS for our own code. */
bool spawn_sanitized(void);
/*
 * Forks a child that runs fn(arg) with the same set-up (stdout and stderr
 * are the pipes) and exits with its return value, without running atexit
 * handlers or flushing stdio.  For converters written in C inside the tool:
 * they get the same isolation as an external program.  Under
 * AddressSanitizer RLIMIT_AS is left alone (its shadow memory needs terabytes
 * of address space).
 */
int spawn_fork(struct spawn_child *c, int (*fn)(void *), void *arg,
    const struct spawn_limits *limits);

/* SIGKILL to the child's whole process group, unless already reaped. */
void spawn_kill(struct spawn_child *c);
/*
 * When the child has exited: kills what is left of its group, reaps it and
 * fills status.  With wait false it returns at once.  True once reaped.
 */
bool spawn_reap(struct spawn_child *c, bool wait);
/* Closes whichever pipe ends are still open, stdin's too (the pidfd goes on
 * reaping). */
void spawn_close(struct spawn_child *c);

enum spawn_outcome {
	SPAWN_OK,		/* exit 0 */
	SPAWN_FAILED,		/* exit status other than 0 */
	SPAWN_NOT_FOUND,	/* exec failed: no such file (exit 127) */
	SPAWN_CRASHED,		/* killed by a signal */
	SPAWN_CPU_LIMIT,	/* killed for exceeding RLIMIT_CPU */
	SPAWN_FILE_LIMIT,	/* killed for exceeding RLIMIT_FSIZE */
	SPAWN_MEMORY		/* ran out of memory under RLIMIT_AS */
};

/*
 * What happened to a reaped child.  Running out of address space has no
 * signal of its own: C++ programs abort ("std::bad_alloc", poppler's "Out of
 * memory"), C programs report ENOMEM or crash, and the dynamic loader fails
 * to map a library.  So err_text (the end of its stderr; may be NULL) is
 * searched for those messages whenever the child did not succeed.
 */
enum spawn_outcome spawn_outcome(int status, const char *err_text);
/* "exit 1", "killed by SIGSEGV" (as strsignal would name it).  Returns buf. */
const char *spawn_status_string(int status, char *buf, size_t size);
/* CPUs this process may run on (sched_getaffinity), at least 1. */
int spawn_cpu_count(void);

#endif
