// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: messages on stderr, usage errors, help and the exit status text.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kbitsctl.h"

const char exit_status_text[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed\n"
	"  2  usage error: unknown command or option, bad argument or GUID, a\n"
	"     name:NAME that names several jobs, or a bad line in add-file --from\n"
	"  3  the job is not in the queue\n"
	"  4  permission denied: the job belongs to another user (or was taken\n"
	"     over by another while kbitsctl had it), the command needs\n"
	"     CAP_SYS_ADMIN, or you may not write in a LOCAL file's directory\n"
	"  5  not allowed in the job's state (e.g. completing an upload job\n"
	"     that is not TRANSFERRED)\n"
	"  6  the transfer failed: the job is in the ERROR state\n"
	"  7  interrupted by SIGINT, SIGTERM or SIGHUP\n";

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kbitsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_hint(const char *cmd)
{
	if (cmd)
		fprintf(stderr, "Try 'kbitsctl %s --help'.\n", cmd);
	else
		fputs("Try 'kbitsctl --help'.\n", stderr);
	return EXIT_USAGE;
}

int usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kbitsctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage_hint(cmd);
}

/* Flushes stdout and reports a failed write (e.g. a full disk, a closed pipe). */
int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("cannot write the output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}
