// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: what monitor and transfer share: the signals that end them,
 * a clock, a wait for a job's events, progress in a few words.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kbitsctl.h"

volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* SIGINT, SIGTERM, SIGHUP set got_signal; no SA_RESTART, so waits end. */
void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to @ms for an event of @j (drained) or a signal. */
void wait_job(struct kbits_job *j, int ms)
{
	struct pollfd p = { .fd = j ? kbits_job_fd(j) : -1, .events = POLLIN };
	struct kbits_event ev;

	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		while (kbits_job_next_event(j, &ev, 0) == 0)
			;
	} else if (p.revents & (POLLHUP | POLLERR)) {
		/* Final: the caller sees it; do not spin. */
		if (!got_signal)
			poll(NULL, 0, ms);
	}
}

/* "1/2 files  1.0 MiB/2.0 MiB  50%" */
void format_counts(char *buf, size_t size, const struct kbits_job_progress *p)
{
	char done[16], total[16];
	int pc = progress_percent(p);

	format_bytes(done, sizeof(done), p->bytes_transferred);
	format_bytes(total, sizeof(total), p->bytes_total);
	if (pc >= 0)
		snprintf(buf, size, "%3d%%  %s/%s  %u/%u files", pc, done, total,
			 p->files_transferred, p->files_total);
	else
		snprintf(buf, size, "  ?%%  %s/?  %u/%u files", done, p->files_transferred,
			 p->files_total);
}
