/*
 * sig — process set-up every tool does first, and SIGINT/SIGTERM handling.
 *
 * sig_prologue(): make fds 0-2 valid (so a file we open can't become
 * "stdout" by accident, as curl's tool_main.c explains) and ignore SIGPIPE,
 * so writing to a closed pipe returns EPIPE instead of killing the tool.
 *
 * sig_install(): SIGINT/SIGTERM set a flag and write a byte to a self-pipe;
 * event loops poll sig_wakeup_fd() (e.g. as an extra fd for
 * curl_multi_poll) so they wake at once.  After a clean stop the tool calls
 * sig_reraise() so its parent sees 128+N, not 1.
 */
#ifndef GZ_SIG_H
#define GZ_SIG_H

#include <stdbool.h>

void sig_prologue(void);
void sig_install(void);
bool sig_stop_requested(void);
/* The signal that asked us to stop, or 0. */
int sig_caught(void);
/* Readable once a stop was requested; -1 before sig_install. */
int sig_wakeup_fd(void);
/* If a signal asked us to stop: restore its default action and raise it. */
void sig_reraise(void);

#endif
