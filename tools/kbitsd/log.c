// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsd's log: one line per message on stderr, with the sd-daemon(3)
 * priority prefix ("<3>" ... "<7>") that the journal reads.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kbitsd.h"

static void vlog_line(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	int len;

	len = vsnprintf(line, sizeof(line), fmt, ap);
	if (len < 0)
		return;
	/* one write per line, so that lines of a dying child never mix in */
	fprintf(stderr, "<%d>kbitsd: %s%s\n", prio, prefix, line);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(prio, "", fmt, ap);
	va_end(ap);
}

void log_job(int prio, const struct kbits_guid *id, const char *fmt, ...)
{
	char prefix[KBITS_GUID_STRING_LEN + 8];
	char guid[KBITS_GUID_STRING_LEN];
	va_list ap;

	kbits_guid_format(id, guid);
	snprintf(prefix, sizeof(prefix), "job %s: ", guid);
	va_start(ap, fmt);
	vlog_line(prio, prefix, fmt, ap);
	va_end(ap);
}
